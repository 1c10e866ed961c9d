"""Summaries, the machine and version record, and the JSON and Markdown result files of a benchmark run."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.labhost import VENV_BIN
from tests.labkit import REPO


def summarize(values: list[float]) -> dict | None:
    """Return n, median, min, max and the quartiles of ``values``, or None when there are none.

    Quartiles use the inclusive method, so with one or two values they lie between min and max.
    """
    if not values:
        return None
    if len(values) == 1:
        q1 = q3 = values[0]
    else:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {
        "n": len(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "q1": q1,
        "q3": q3,
    }


def _command_output(command: list[str]) -> str:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    if completed.returncode == 0:
        return completed.stdout.strip()
    # A usage error prints the whole help text, so only its first line is kept.
    first_line = next((line for line in completed.stderr.splitlines() if line.strip()), "no error output")
    return f"unavailable ({first_line.strip()})"


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages, as uptime prints them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def memory_mib() -> int:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 0


@dataclass
class Environment:
    """The machine, tool versions and repository state of one benchmark run."""

    date: str
    command: str
    cores: int
    memory_mib: int
    load_before: str
    load_after: str = ""
    python: str = platform.python_version()
    ansible: str = ""
    ansible_core: str = ""
    community_docker: str = ""
    docker_host: str = ""
    docker_server: str = ""
    commit: str = ""
    uncommitted: list[str] = field(default_factory=list)


def capture_environment(command: str, server_docker: str) -> Environment:
    """Record the machine, the tool versions and the repository state at the start of a run."""
    host_engine = _command_output(["docker", "version", "--format", "{{.Server.Version}}"])
    host_compose = _command_output(["docker", "compose", "version", "--short"])
    # Changes under these paths alter what a deploy does, so a result lists them.
    status = _command_output(
        [
            "git",
            "-C",
            str(REPO),
            "status",
            "--porcelain",
            "--",
            "playbooks",
            "roles",
            "templates",
            "ansible.cfg",
        ]
    )
    return Environment(
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        command=command,
        cores=os.cpu_count() or 0,
        memory_mib=memory_mib(),
        load_before=load_average(),
        ansible=importlib.metadata.version("ansible"),
        ansible_core=importlib.metadata.version("ansible-core"),
        community_docker=_community_docker_version(),
        docker_host=f"Engine {host_engine}, Compose {host_compose}",
        docker_server=server_docker,
        commit=_command_output(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        uncommitted=[line for line in status.splitlines() if line.strip()],
    )


def _community_docker_version() -> str:
    listing = _command_output(
        [str(VENV_BIN / "ansible-galaxy"), "collection", "list", "community.docker", "--format", "json"]
    )
    try:
        for collections in json.loads(listing).values():
            if "community.docker" in collections:
                return collections["community.docker"]["version"]
    except (ValueError, AttributeError, KeyError):
        pass
    return "unknown"


@dataclass
class Row:
    """One line of the result table: a measure, its unit and its values over the repetitions."""

    measure: str
    unit: str
    values: list[float]
    note: str = ""

    def summary(self) -> dict | None:
        return summarize(self.values)


def _number(value: float, unit: str) -> str:
    if unit in ("count", "tasks"):
        return f"{value:g}"
    if unit == "x":
        return f"{value:.2f}"
    return f"{value:.1f}"


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| measure | unit | n | median | min to max | IQR (q1 to q3) | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        summary = row.summary()
        if summary is None:
            lines.append(f"| {row.measure} | {row.unit} | 0 | - | - | - | {row.note} |")
            continue
        low, high = _number(summary["min"], row.unit), _number(summary["max"], row.unit)
        q1, q3 = _number(summary["q1"], row.unit), _number(summary["q3"], row.unit)
        median = _number(summary["median"], row.unit)
        cells = [
            row.measure,
            row.unit,
            str(summary["n"]),
            median,
            f"{low} to {high}",
            f"{q1} to {q3}",
            row.note,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(directory: Path, name: str, payload: dict, markdown: str) -> tuple[Path, Path]:
    """Write ``<date>-<name>.json`` and ``.md`` to ``directory`` and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
    json_path = directory / f"{stamp}-{name}.json"
    markdown_path = directory / f"{stamp}-{name}.md"
    json_path.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n")
    markdown_path.write_text(markdown)
    return json_path, markdown_path


def _json_default(value: object) -> object:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)  # type: ignore[arg-type]
    raise TypeError(f"cannot write {type(value).__name__} to the result file")
