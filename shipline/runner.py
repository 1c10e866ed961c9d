"""Run one Shipline playbook through ansible-runner, stream progress lines and collect its events."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import ansible_runner

from shipline.process_cleanup import become_child_subreaper, stop_orphaned_workers
from shipline.redaction import Redactor

log = logging.getLogger(__name__)

# Event fields kept in memory for the report. The full events stay in job_events/.
KEPT_EVENT_DATA = ("task", "host", "role", "duration", "start", "end", "ignore_errors", "play")
RESULT_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
}
MESSAGE_LIMIT = 300
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class PlaybookRun:
    """Outcome of one ansible-runner invocation, as the launcher needs it."""

    status: str
    rc: int
    events: list[dict[str, Any]]
    unreachable_hosts: list[str]
    failed_hosts: list[str]
    processed_hosts: list[str]
    artifact_dir: Path
    started_at: datetime
    finished_at: datetime
    messages: dict[str, str] = field(default_factory=dict)


class CancelFlag:
    """Set from a signal handler; ansible-runner polls it and stops the playbook."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Request that the running playbook stops."""
        self._event.set()

    def is_set(self) -> bool:
        """Return whether a stop was requested."""
        return self._event.is_set()


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def failure_message(result: dict[str, Any]) -> str:
    """Return the most useful one-line message from an Ansible task result."""
    for key in ("msg", "stderr", "reason"):
        value = result.get(key)
        if isinstance(value, str) and value.strip():
            return _first_line(value)
    if "rc" in result:
        return f"command exited with rc={result['rc']}"
    return ""


class ProgressPrinter:
    """ansible-runner event handler that prints one line per task start and per host result.

    Lines look like ``ok       web1  compose : Start the release containers (2.1s)``.
    Every line passes through the redactor. The handler also keeps a trimmed copy of
    each event for phase timings and always returns True so ansible-runner writes the
    full event to ``job_events/``.
    """

    def __init__(self, stream: TextIO, redactor: Redactor, verbose: bool = False) -> None:
        self.stream = stream
        self.redactor = redactor
        self.verbose = verbose
        self.events: list[dict[str, Any]] = []
        self.messages: dict[str, str] = {}

    def _print(self, line: str) -> None:
        self.stream.write(self.redactor.redact(line) + "\n")
        self.stream.flush()

    @staticmethod
    def _label(data: dict[str, Any]) -> str:
        task = data.get("task") or data.get("name") or "(unnamed task)"
        role = data.get("role")
        return f"{role} : {task}" if role else str(task)

    def __call__(self, event: dict[str, Any]) -> bool:
        data = event.get("event_data") or {}
        name = event.get("event", "")
        self.events.append(
            {
                "event": name,
                "counter": event.get("counter", 0),
                "created": event.get("created"),
                "event_data": {key: data[key] for key in KEPT_EVENT_DATA if key in data},
            }
        )

        if name == "playbook_on_play_start":
            self._print(f"PLAY     {data.get('play') or data.get('name') or ''}")
        elif name == "playbook_on_task_start":
            self._print(f"start    {self._label(data)}")
        elif name in RESULT_EVENTS:
            self._print_result(RESULT_EVENTS[name], data)
        elif name == "playbook_on_no_hosts_matched":
            self._print("no hosts matched the play's host pattern")
        elif name == "verbose" or name == "error":
            self._print_verbose(event.get("stdout", ""))
        return True

    def _print_result(self, status: str, data: dict[str, Any]) -> None:
        result = data.get("res") or {}
        if status == "ok" and result.get("changed"):
            status = "changed"
        if status == "failed" and data.get("ignore_errors"):
            status = "ignored"
        host = data.get("host", "?")
        duration = data.get("duration")
        timing = f" ({duration:.1f}s)" if isinstance(duration, int | float) else ""
        line = f"{status:<8} {host}  {self._label(data)}{timing}"

        if status in ("failed", "unreachable", "ignored"):
            message = failure_message(result)
            if status != "ignored" and message:
                self.messages[host] = self.redactor.redact(message)
            if message and not self.verbose:
                message = message[:MESSAGE_LIMIT]
            if message:
                line += f": {message}"
        self._print(line)

    def _print_verbose(self, stdout: str) -> None:
        for line in ANSI_ESCAPE.sub("", stdout).splitlines():
            if self.verbose or "ERROR" in line:
                self._print(line)


def _status_handler(redactor: Redactor):
    def handle(status_data: dict[str, Any], runner_config: Any = None) -> None:
        # ansible-runner writes the env dump just before it spawns ansible-playbook and
        # reports "running" right after, so mask it at once instead of after the run.
        if status_data.get("status") == "running" and runner_config is not None:
            redactor.scrub_command_file(Path(runner_config.artifact_dir) / "command")

    return handle


def run_playbook(
    *,
    project_dir: Path,
    playbook: Path,
    inventory: Path,
    private_data_dir: Path,
    ident: str,
    extravars: dict[str, Any],
    envvars: dict[str, str],
    redactor: Redactor,
    progress_stream: TextIO = sys.stderr,
    verbosity: int = 0,
    cancel_flag: CancelFlag | None = None,
) -> PlaybookRun:
    """Run ``playbook`` with ansible-runner and return its status, events and host lists.

    Extravars go on the command line, so they must not contain secrets. Secrets reach
    Ansible only through the inherited process environment. ``envvars`` adds
    non-secret variables (ANSIBLE_CONFIG, key file paths). After the run, every file
    under ``private_data_dir`` is scrubbed of secret values.
    """
    private_data_dir.mkdir(parents=True, exist_ok=True)
    printer = ProgressPrinter(progress_stream, redactor, verbose=verbosity > 0)
    flag = cancel_flag or CancelFlag()

    # Progress lines and artifacts are plain text, so colour codes would only garble them.
    environment = {"ANSIBLE_NOCOLOR": "1", **envvars}
    # ansible-runner finds ansible-playbook on PATH. Put the one beside this Python first,
    # so that an unactivated virtualenv still runs its pinned Ansible.
    interpreter_bin = str(Path(sys.executable).parent)
    if (Path(interpreter_bin) / "ansible-playbook").exists():
        environment["PATH"] = interpreter_bin + os.pathsep + os.environ.get("PATH", "")

    started_at = datetime.now(UTC)
    subreaper = become_child_subreaper()
    log.info("running %s (artifacts in %s)", playbook, private_data_dir)
    try:
        runner = ansible_runner.run(
            private_data_dir=str(private_data_dir),
            project_dir=str(project_dir),
            playbook=str(playbook),
            inventory=str(inventory),
            ident=ident,
            extravars=extravars,
            envvars=environment,
            quiet=True,
            suppress_env_files=True,
            verbosity=max(0, verbosity - 1) or None,
            event_handler=printer,
            status_handler=_status_handler(redactor),
            # NOTE: a cancel stops ansible-playbook and its workers (see process_cleanup),
            # but a command that a task already started on a host may still run to its end.
            cancel_callback=flag.is_set,
        )
    finally:
        redactor.scrub_tree(private_data_dir)
    if subreaper and runner.status in ("canceled", "timeout"):
        stop_orphaned_workers()
    finished_at = datetime.now(UTC)

    stats = runner.stats or {}
    unreachable = sorted(host for host, count in (stats.get("dark") or {}).items() if count)
    failed = sorted(host for host, count in (stats.get("failures") or {}).items() if count)
    processed = sorted((stats.get("processed") or {}).keys())
    log.info("playbook finished with status %s, rc %s", runner.status, runner.rc)

    return PlaybookRun(
        status=str(runner.status),
        rc=int(runner.rc if runner.rc is not None else -1),
        events=printer.events,
        unreachable_hosts=unreachable,
        failed_hosts=failed,
        processed_hosts=processed,
        artifact_dir=Path(runner.config.artifact_dir),
        started_at=started_at,
        finished_at=finished_at,
        messages=printer.messages,
    )
