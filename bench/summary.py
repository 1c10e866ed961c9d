"""Turn the scenarios' raw numbers into the result table, the target verdicts and the Markdown page."""

from __future__ import annotations

import statistics
from dataclasses import asdict
from pathlib import Path

import yaml

from bench.report import Environment, Row, markdown_table, summarize
from tests.labkit import REPO

# The deploy may take at most this multiple of the floor's median time.
DEPLOY_TO_FLOOR_LIMIT = 1.5


def health_deadline() -> float:
    """Return the health role's deadline plus one polling interval, from its defaults, in seconds."""
    defaults = yaml.safe_load((REPO / "roles" / "health" / "defaults" / "main.yml").read_text())
    return float(defaults["health_timeout"]) + float(defaults["health_interval"])


def _values(samples: list[dict], key: str) -> list[float]:
    return [sample[key] for sample in samples if sample.get(key) is not None]


def _ratios(results: dict[str, list[dict]]) -> list[float]:
    pairs = zip(results.get("deploy", []), results.get("floor", []), strict=False)
    return [deploy["seconds"] / floor["seconds"] for deploy, floor in pairs]


def build_rows(results: dict[str, list[dict]]) -> list[Row]:
    """Return the table rows for the scenarios that ran, in the order the README explains them."""
    rows: list[Row] = []
    if "deploy" in results:
        rows.append(Row("deploy.yml, switching release (1 server)", "s", _values(results["deploy"], "seconds")))
    if "floor" in results:
        rows.append(Row("floor: compose pull + up --wait, then health", "s", _values(results["floor"], "seconds")))
    if "deploy" in results and "floor" in results:
        rows.append(Row("deploy / floor, per repetition", "x", _ratios(results)))
    if "noop" in results:
        rows.append(Row("no-op redeploy (same release)", "s", _values(results["noop"], "seconds")))
        rows.append(Row("no-op redeploy: changed tasks", "tasks", _values(results["noop"], "changed")))
    if "failure" in results:
        failures = results["failure"]
        recovered = _values(failures, "verdict_to_recovery")
        rows += [
            Row("unhealthy release: deploy start to verdict", "s", _values(failures, "to_verdict")),
            Row("unhealthy release: failing task start to verdict", "s", _values(failures, "check_to_verdict")),
            Row(
                "unhealthy release: verdict to old release healthy",
                "s",
                recovered,
                ""
                if len(recovered) == len(failures)
                else f"no recovery in {len(failures) - len(recovered)} of {len(failures)} runs",
            ),
        ]
    if "downtime" in results:
        samples = results["downtime"]
        interval_ms = "requests every 50 ms"
        rows += [
            Row("downtime during a deploy: failed requests", "count", _values(samples, "failed"), interval_ms),
            Row("downtime during a deploy: longest gap", "s", _values(samples, "longest_gap")),
        ]
    for count in sorted({sample["servers"] for sample in results.get("scale", [])}):
        seconds = [sample["seconds"] for sample in results["scale"] if sample["servers"] == count]
        rows.append(Row(f"scale: deploy to {count} server(s) at once", "s", seconds))
    return rows


def check_targets(results: dict[str, list[dict]]) -> list[dict]:
    """Return each acceptance target with the measured value and whether it was met."""
    targets = []
    deploys, floors = (
        _values(results.get("deploy", []), "seconds"),
        _values(results.get("floor", []), "seconds"),
    )
    if deploys and floors:
        ratio = statistics.median(deploys) / statistics.median(floors)
        targets.append(
            {
                "target": f"median deploy at most {DEPLOY_TO_FLOOR_LIMIT} x median floor",
                "value": f"{ratio:.2f} x",
                "met": ratio <= DEPLOY_TO_FLOOR_LIMIT,
            }
        )
    changed = _values(results.get("noop", []), "changed")
    if changed:
        targets.append(
            {
                "target": "no-op redeploy changes no task",
                "value": f"at most {max(changed):g} changed",
                "met": max(changed) == 0,
            }
        )
    detection = _values(results.get("failure", []), "check_to_verdict")
    if detection:
        limit = health_deadline()
        targets.append(
            {
                "target": f"unhealthy release detected within {limit:g} s of its health check's start",
                "value": f"at most {max(detection):.1f} s",
                "met": max(detection) <= limit,
            }
        )
    return targets


def step_breakdown(results: dict[str, list[dict]]) -> list[tuple[str, float]]:
    """Return (step, median seconds) of the switching deploys, slowest first."""
    per_step: dict[str, list[float]] = {}
    for sample in results.get("deploy", []):
        for step, seconds in sample["steps"].items():
            per_step.setdefault(step, []).append(seconds)
    medians = [(step, statistics.median(values)) for step, values in per_step.items()]
    return sorted(medians, key=lambda item: item[1], reverse=True)


def render_markdown(
    environment: Environment,
    rows: list[Row],
    targets: list[dict],
    steps: list[tuple[str, float]],
    commands: dict,
) -> str:
    """Return the Markdown page of one run: setup, table, targets and where the deploy's time goes."""
    uncommitted = ", ".join(line.strip() for line in environment.uncommitted) or "none"
    lines = [
        f"# Deploy benchmark, {environment.date}",
        "",
        f"- Command: `{environment.command}`",
        f"- Machine: {environment.cores} cores, {environment.memory_mib} MiB memory; load average "
        f"(1, 5, 15 min) {environment.load_before} at the start, {environment.load_after} at the end",
        f"- Ansible {environment.ansible} (ansible-core {environment.ansible_core}), community.docker "
        f"{environment.community_docker}, Python {environment.python}",
        f"- Docker on this host: {environment.docker_host}; on the lab servers: {environment.docker_server}",
        f"- Repository at {environment.commit}; uncommitted changes under playbooks, roles, templates "
        f"and ansible.cfg: {uncommitted}",
        f"- Deploy: `{commands['deploy']}`",
        f"- Floor: `{commands['floor']}` over one SSH connection as the deploy user, then GET "
        "`/api/health` every 50 ms from this host until the new release reports healthy",
        "",
        markdown_table(rows),
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "| --- | --- | --- |",
        *[f"| {t['target']} | {t['value']} | {'yes' if t['met'] else 'no'} |" for t in targets],
        "",
    ]
    if steps:
        total = sum(seconds for _, seconds in steps)
        lines += [
            "## Where a switching deploy spends its time",
            "",
            "Median wall time per role task file, from each task's start to the next task's start.",
            "",
            "| role/task file | median s | share |",
            "| --- | --- | --- |",
            *[f"| {step} | {seconds:.1f} | {seconds / total:.0%} |" for step, seconds in steps],
            "",
        ]
    return "\n".join(lines)


def result_payload(
    environment: Environment,
    results: dict[str, list[dict]],
    rows: list[Row],
    targets: list[dict],
    commands: dict,
) -> dict:
    """Return the JSON record of one run: setup, raw samples, summaries and targets."""
    return {
        "environment": asdict(environment),
        "commands": commands,
        "summary": [{**asdict(row), "summary": row.summary()} for row in rows],
        "targets": targets,
        "samples": results,
        "step_summaries": {
            step: summarize([sample["steps"].get(step, 0.0) for sample in results.get("deploy", [])])
            for step, _ in step_breakdown(results)
        },
    }


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)
