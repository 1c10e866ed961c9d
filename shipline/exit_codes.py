"""Process exit codes of the ``shipline`` command, shared by the CLI, the report and CI.

====  ==========================================================================
code  meaning
====  ==========================================================================
0     The command succeeded: deployed, rolled back on request, built, or status read.
1     The deploy failed and the previous release serves again, because Shipline
      rolled it back or the server was never changed. Build and status failures,
      and a requested rollback that did not start, also return 1.
2     Bad input: an invalid option value, a missing secret, inventory setting or
      playbook, or an argparse usage error. No playbook was started.
3     The deploy failed and the automatic rollback failed too, a requested
      rollback failed, or a deploy or rollback stopped part way: canceled
      (SIGINT/SIGTERM) before a host reported, or the launcher failed after the
      playbook started. An outage is possible: check the host now.
4     A host could not be reached: the TCP pre-check to ansible_host:ansible_port
      failed, or Ansible reported the host unreachable.
5     Another deploy held the deploy lock for longer than --lock-timeout.
====  ==========================================================================

When several hosts fail in different ways, the code of the most urgent case wins,
in this order: 2, 3, 4, 5, 1.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit status of one ``shipline`` invocation."""

    OK = 0
    FAILED_PREVIOUS_SERVES = 1
    BAD_INPUT = 2
    ROLLBACK_FAILED = 3
    UNREACHABLE = 4
    LOCK_HELD = 5


# Most urgent first: an outage outranks an unreachable host, which outranks a lock.
SEVERITY_ORDER: tuple[ExitCode, ...] = (
    ExitCode.BAD_INPUT,
    ExitCode.ROLLBACK_FAILED,
    ExitCode.UNREACHABLE,
    ExitCode.LOCK_HELD,
    ExitCode.FAILED_PREVIOUS_SERVES,
    ExitCode.OK,
)

HELP_EPILOG = """\
exit codes:
  0  succeeded (deployed, rolled back on request, built, status read)
  1  deploy failed and the previous release serves again (rolled back, or the
     server was never changed); also a failed build or status
  2  bad input: invalid option, missing secret or inventory setting; nothing ran
  3  deploy failed and the rollback failed too, a requested rollback failed, or
     a deploy or rollback was canceled part way: outage possible
  4  cannot reach a host (TCP pre-check or Ansible unreachable)
  5  deploy lock held by another deploy past --lock-timeout
"""


SHORT_MEANING: dict[ExitCode, str] = {
    ExitCode.OK: "succeeded",
    ExitCode.FAILED_PREVIOUS_SERVES: "failed, the server runs the release it ran before",
    ExitCode.BAD_INPUT: "bad input, nothing ran",
    ExitCode.ROLLBACK_FAILED: "failed and the rollback failed, outage possible",
    ExitCode.UNREACHABLE: "cannot reach a host",
    ExitCode.LOCK_HELD: "deploy lock held by another deploy",
}


def most_severe(codes: list[ExitCode]) -> ExitCode:
    """Return the most urgent of ``codes`` by SEVERITY_ORDER, or OK for an empty list."""
    for code in SEVERITY_ORDER:
        if code in codes:
            return code
    return ExitCode.OK
