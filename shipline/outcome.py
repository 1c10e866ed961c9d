"""Read the per-host result files the playbooks write and decide the command's outcome and exit code.

deploy, rollback and status write ``<shipline_result_dir>/<inventory_hostname>.json``.
A host without a file is treated as failed before the server was touched, unless
Ansible reported it unreachable or the run was canceled (SIGINT/SIGTERM) part way.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from shipline.exit_codes import ExitCode, most_severe

log = logging.getLogger(__name__)

# Host outcomes written by the playbooks, plus "unreachable" added by the launcher.
DEPLOYED = "deployed"
FAILED = "failed"
ROLLED_BACK = "rolled_back"
ROLLBACK_FAILED = "rollback_failed"
STATUS = "status"
UNREACHABLE = "unreachable"
CANCELED = "canceled"
# Commands whose cancellation can leave a host half switched.
COMMANDS_THAT_CHANGE_SERVERS = ("deploy", "rollback")

# Command outcomes that are not host outcomes.
BUILT = "built"
INVALID_INPUT = "invalid_input"

COMMANDS_WITH_RESULT_FILES = ("deploy", "rollback", "status")
SUCCESS_OUTCOME = {"deploy": DEPLOYED, "rollback": ROLLED_BACK, "status": STATUS}


@dataclass
class HostResult:
    """One host's result record, as written by the playbook (see the playbook contract)."""

    host: str
    outcome: str
    app: str | None = None
    environment: str | None = None
    sha: str | None = None
    previous_sha: str | None = None
    serving_sha: str | None = None
    failed_phase: str | None = None
    message: str | None = None
    health: dict[str, Any] | None = None
    releases: list[dict[str, Any]] | None = None
    lock: dict[str, Any] | None = None
    result_file: str | None = None


@dataclass
class Decision:
    """The command's overall outcome, exit code and one-line reason."""

    outcome: str
    exit_code: ExitCode
    reason: str
    host_codes: dict[str, ExitCode] = field(default_factory=dict)


_RECORD_KEYS = {item.name for item in fields(HostResult)} - {"host", "result_file"}


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)


def load_host_result(host: str, path: Path) -> HostResult:
    """Read one result file. A malformed file becomes a failed result whose message names the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return HostResult(host=host, outcome=FAILED, message=f"unreadable result file {path}: {error}")
    if not isinstance(data, dict):
        return HostResult(host=host, outcome=FAILED, message=f"result file {path} does not contain an object")

    unknown = sorted(set(data) - _RECORD_KEYS)
    if unknown:
        log.debug("ignoring unknown keys in %s: %s", path, ", ".join(unknown))
    health = data.get("health")
    lock = data.get("lock")
    releases = data.get("releases")
    return HostResult(
        host=host,
        outcome=str(data.get("outcome") or FAILED),
        app=_as_text(data.get("app")),
        environment=_as_text(data.get("environment")),
        sha=_as_text(data.get("sha")),
        previous_sha=_as_text(data.get("previous_sha")),
        serving_sha=_as_text(data.get("serving_sha")),
        failed_phase=_as_text(data.get("failed_phase")),
        message=_as_text(data.get("message")),
        health=health if isinstance(health, dict) else None,
        releases=releases if isinstance(releases, list) else None,
        lock=lock if isinstance(lock, dict) and lock else None,
        result_file=str(path),
    )


def read_host_results(
    result_dir: Path,
    hosts: list[str],
    unreachable: list[str],
    failure_messages: dict[str, str] | None = None,
    canceled: bool = False,
) -> list[HostResult]:
    """Return one HostResult per host in ``hosts`` and per result file found, sorted by host.

    A host without a file becomes ``unreachable`` if Ansible reported it so,
    ``canceled`` if the run was stopped before the host reported, and otherwise
    ``failed`` with the message of its last failed task when one is known.
    """
    messages = failure_messages or {}
    files = {path.stem: path for path in result_dir.glob("*.json")} if result_dir.is_dir() else {}
    results: list[HostResult] = []
    for host in sorted(set(hosts) | set(files)):
        if host in files:
            results.append(load_host_result(host, files[host]))
            continue
        if host in unreachable:
            reason = messages.get(host) or "Ansible could not connect"
            results.append(HostResult(host=host, outcome=UNREACHABLE, message=f"unreachable: {reason}"))
            continue
        if canceled:
            message = "the run was canceled before this host reported; check what the server runs"
            results.append(HostResult(host=host, outcome=CANCELED, message=message))
            continue
        detail = messages.get(host)
        message = "no result file: the playbook failed before the server was changed"
        results.append(
            HostResult(host=host, outcome=FAILED, message=f"{message} ({detail})" if detail else message)
        )
    return results


def host_exit_code(command: str, result: HostResult, unreachable: list[str]) -> ExitCode:
    """Map one host's result to an exit code for ``command`` (deploy, rollback or status)."""
    if result.outcome == ROLLBACK_FAILED:
        return ExitCode.ROLLBACK_FAILED
    if result.outcome == CANCELED and command in COMMANDS_THAT_CHANGE_SERVERS:
        # Stopped part way, the host may serve neither release: treat as a possible outage.
        return ExitCode.ROLLBACK_FAILED
    if result.outcome == UNREACHABLE or result.host in unreachable:
        return ExitCode.UNREACHABLE
    if result.outcome == SUCCESS_OUTCOME.get(command):
        return ExitCode.OK
    if result.lock is not None:
        return ExitCode.LOCK_HELD
    return ExitCode.FAILED_PREVIOUS_SERVES


def _describe_host(result: HostResult) -> str:
    parts = [f"{result.host}: {result.outcome}"]
    # The playbook's message usually names the phase already, so it is added only when missing.
    if result.failed_phase and f"phase {result.failed_phase}" not in (result.message or ""):
        parts.append(f"in phase {result.failed_phase}")
    if result.lock:
        holder = result.lock.get("holder") or "another deploy"
        since = result.lock.get("since")
        parts.append(f"(lock held by {holder}" + (f" since {since})" if since else ")"))
    text = " ".join(parts)
    if result.message:
        text += f": {result.message}"
    return text


def _overall_outcome(command: str, results: list[HostResult], code: ExitCode) -> str:
    outcomes = {result.outcome for result in results}
    if ROLLBACK_FAILED in outcomes:
        return ROLLBACK_FAILED
    if code == ExitCode.OK:
        return SUCCESS_OUTCOME[command]
    if command == "deploy" and ROLLED_BACK in outcomes:
        return ROLLED_BACK
    return FAILED


def decide(
    command: str,
    results: list[HostResult],
    runner_status: str,
    unreachable: list[str],
) -> Decision:
    """Combine the host results and the playbook status into outcome, exit code and reason.

    The most severe host code wins (see exit_codes.SEVERITY_ORDER). A playbook that did
    not finish successfully cannot return 0, even when every host file reports success,
    because a later task may have changed the server after the file was written.
    """
    if not results:
        return Decision(
            outcome=FAILED,
            exit_code=ExitCode.FAILED_PREVIOUS_SERVES,
            reason=f"no host ran the {command} playbook (status {runner_status}); "
            "check the inventory's hosts",
        )

    host_codes = {result.host: host_exit_code(command, result, unreachable) for result in results}
    code = most_severe(list(host_codes.values()))
    if code == ExitCode.OK and runner_status != "successful":
        code = ExitCode.FAILED_PREVIOUS_SERVES
        reason = (
            f"every host reported {SUCCESS_OUTCOME[command]}, but the playbook ended with status "
            f"{runner_status}; read the task output above and the runner artifacts"
        )
        return Decision(outcome=FAILED, exit_code=code, reason=reason, host_codes=host_codes)

    outcome = _overall_outcome(command, results, code)
    if code == ExitCode.OK:
        reason = f"{len(results)} host(s) {SUCCESS_OUTCOME[command]}"
    else:
        worst = [result for result in results if host_codes[result.host] == code]
        reason = "; ".join(_describe_host(result) for result in worst)
    return Decision(outcome=outcome, exit_code=code, reason=reason, host_codes=host_codes)


def decide_without_results(command: str, runner_status: str, unreachable: list[str]) -> Decision:
    """Decide for a playbook that writes no result files (build)."""
    if unreachable:
        return Decision(
            outcome=FAILED,
            exit_code=ExitCode.UNREACHABLE,
            reason="Ansible could not reach host(s) " + ", ".join(unreachable),
        )
    if runner_status == "successful":
        return Decision(
            outcome=BUILT if command == "build" else command, exit_code=ExitCode.OK, reason="succeeded"
        )
    return Decision(
        outcome=FAILED,
        exit_code=ExitCode.FAILED_PREVIOUS_SERVES,
        reason=f"the {command} playbook ended with status {runner_status}; read the failed task above",
    )
