"""Build the run report: JSON file, Markdown job summary, phase timings and the closing text summary."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shipline import __version__
from shipline.exit_codes import SHORT_MEANING, ExitCode
from shipline.outcome import HostResult
from shipline.redaction import Redactor

log = logging.getLogger(__name__)

# The roles of the deploy playbooks, in the order they run. Roles not listed here
# still get a timing, after these.
KNOWN_PHASES = (
    "preflight",
    "deploy_lock",
    "image_deploy",
    "compose",
    "migrations",
    "health",
    "stability",
    "rollback",
    "release_history",
    "cleanup",
)
EXCERPT_LIMIT = 200


@dataclass
class PhaseDuration:
    """Wall time spent in one role (phase) of the playbook, summed over its stretches."""

    phase: str
    seconds: float


@dataclass
class Report:
    """Everything a reader needs to judge one shipline run, written as report.json."""

    command: str
    inventory: str
    environment: str
    outcome: str
    exit_code: int
    reason: str
    started_at: str
    finished_at: str
    duration_seconds: float
    artifacts_dir: str
    sha: str | None = None
    image_repository: str | None = None
    rollback_to: str | None = None
    deployed_by: str | None = None
    ci_run_url: str | None = None
    runner_status: str | None = None
    hosts: list[HostResult] = field(default_factory=list)
    phases: list[PhaseDuration] = field(default_factory=list)
    shipline_version: str = __version__


def _parse_created(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # ansible-runner writes naive timestamps in UTC for some events.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def phase_durations(events: Iterable[Mapping[str, Any]]) -> list[PhaseDuration]:
    """Compute wall time per role from ansible-runner events.

    Events are ordered by ``counter``. The time from one event's ``created`` stamp to the
    next event's is charged to the role of the earlier event (``event_data.role``). So a
    role that runs twice (health after deploy and after rollback) gets both stretches,
    and time outside any role is charged to no phase.
    """
    timed: list[tuple[int, datetime, str | None]] = []
    for event in events:
        created = _parse_created(event.get("created"))
        if created is None:
            continue
        role = (event.get("event_data") or {}).get("role")
        timed.append((int(event.get("counter") or 0), created, role or None))
    timed.sort(key=lambda item: item[0])

    totals: dict[str, float] = {}
    for (_, moment, role), (_, next_moment, _) in itertools.pairwise(timed):
        if role is None:
            continue
        totals[role] = totals.get(role, 0.0) + max(0.0, (next_moment - moment).total_seconds())

    def order(phase: str) -> tuple[int, int]:
        if phase in KNOWN_PHASES:
            return (0, KNOWN_PHASES.index(phase))
        return (1, list(totals).index(phase))

    return [
        PhaseDuration(phase=phase, seconds=round(totals[phase], 3)) for phase in sorted(totals, key=order)
    ]


def report_to_dict(report: Report, redactor: Redactor | None = None) -> dict[str, Any]:
    """Return the report as JSON-ready data, with secret values masked if a redactor is given."""
    data = asdict(report)
    return redactor.redact_data(data) if redactor else data


def write_json(report: Report, path: Path, redactor: Redactor | None = None) -> None:
    """Write the report as indented JSON, creating the parent directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_to_dict(report, redactor), indent=2) + "\n", encoding="utf-8")


def _cell(value: Any) -> str:
    """Format a value for a Markdown table cell: one line, pipes escaped."""
    if value is None or value == "":
        return "-"
    text = " ".join(str(value).split())
    return text.replace("|", "\\|")


def _short_sha(sha: str | None) -> str:
    return sha[:12] if sha else "-"


def health_verdict(health: Mapping[str, Any] | None) -> str:
    """Return a short verdict such as ``healthy: HTTP 200 in 0.12 s, version 1a2b3c``."""
    if not health:
        return "not checked"
    status_code = health.get("status_code")
    healthy = isinstance(status_code, int) and 200 <= status_code < 400
    parts = [f"HTTP {status_code}" if status_code is not None else "no response"]
    elapsed = health.get("elapsed")
    if isinstance(elapsed, int | float):
        parts.append(f"in {elapsed:.2f} s")
    verdict = ("healthy: " if healthy else "unhealthy: ") + " ".join(parts)
    version = health.get("version")
    if version:
        verdict += f", version {version}"
    if not healthy and health.get("body_excerpt"):
        verdict += f", body {str(health['body_excerpt'])[:EXCERPT_LIMIT]!r}"
    return verdict


def render_markdown(report: Report, redactor: Redactor | None = None) -> str:
    """Render the report as a Markdown job summary: heading, hosts, health, phases, run link."""
    target = (
        f" to {report.environment}"
        if report.command in ("deploy", "rollback")
        else f" ({report.environment})"
    )
    lines = [f"## Shipline {report.command}{target}: {report.outcome}", ""]

    code = ExitCode(report.exit_code)
    facts = [
        ("Commit", f"`{report.sha}`" if report.sha else None),
        ("Rollback target", report.rollback_to),
        ("Image repository", f"`{report.image_repository}`" if report.image_repository else None),
        ("Exit code", f"{report.exit_code} ({SHORT_MEANING[code]})"),
        ("Reason", report.reason),
        ("Deployed by", report.deployed_by),
        ("Duration", f"{report.duration_seconds:.1f} s"),
        ("CI run", f"[{report.ci_run_url}]({report.ci_run_url})" if report.ci_run_url else None),
    ]
    lines += ["| | |", "| --- | --- |"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in facts if value]
    lines.append("")

    if report.hosts:
        lines += [
            "### Hosts",
            "",
            "| Host | Outcome | Serving | Previous | Failed phase | Health | Message |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for host in report.hosts:
            cells = [
                host.host,
                host.outcome,
                _short_sha(host.serving_sha),
                _short_sha(host.previous_sha),
                host.failed_phase,
                health_verdict(host.health),
                host.message,
            ]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        lines.append("")

    if report.phases:
        lines += ["### Phase durations", "", "| Phase | Seconds |", "| --- | ---: |"]
        lines += [f"| {_cell(phase.phase)} | {phase.seconds:.1f} |" for phase in report.phases]
        lines.append("")

    lines.append(f"Artifacts: `{report.artifacts_dir}`")
    lines.append("")
    text = "\n".join(lines)
    return redactor.redact(text) if redactor else text


def append_step_summary(report: Report, environ: Mapping[str, str], redactor: Redactor | None = None) -> bool:
    """Append the Markdown summary to $GITHUB_STEP_SUMMARY when it is set; return whether it was written."""
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(report, redactor) + "\n")
    except OSError as error:
        log.warning("could not append the job summary to %s: %s", path, error)
        return False
    return True


def render_text_summary(report: Report, report_path: Path | None = None) -> str:
    """Render the few closing lines printed to stdout at the end of every run."""
    subject = f" {report.sha[:12]}" if report.sha else ""
    if report.command == "rollback" and report.rollback_to:
        subject = f" to {report.rollback_to[:12]}"
    code = ExitCode(report.exit_code)
    lines = [
        f"shipline {report.command}{subject} on {report.environment}: {report.outcome} "
        f"in {report.duration_seconds:.1f} s (exit {report.exit_code}: {SHORT_MEANING[code]})"
    ]
    if report.exit_code != ExitCode.OK:
        lines.append(f"  reason: {report.reason}")
    for host in report.hosts:
        line = f"  {host.host}: {host.outcome}"
        if host.serving_sha:
            line += f", serving {host.serving_sha[:12]}"
        if host.health:
            line += f", {health_verdict(host.health)}"
        lines.append(line)
    if report.phases:
        lines.append(
            "  phases: " + ", ".join(f"{phase.phase} {phase.seconds:.1f}s" for phase in report.phases)
        )
    if report_path is not None:
        lines.append(f"  report: {report_path}")
    if report.ci_run_url:
        lines.append(f"  run: {report.ci_run_url}")
    return "\n".join(lines)
