"""End-to-end: one quick repetition of the deploy benchmark runner on the session's lab."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.labkit import REPO, Lab

pytestmark = pytest.mark.lab

SCENARIOS = ("deploy", "noop", "floor", "downtime", "failure", "scale")


@pytest.fixture(scope="module")
def bench_result(provisioned: Lab, tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run ``bench/run.py --quick --scale 1`` against the session's lab and return it and its results folder."""
    results = tmp_path_factory.mktemp("bench-results")
    completed = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--quick",
            "--scale",
            "1",
            "--lab",
            provisioned.name,
            "--results-dir",
            str(results),
            "--log-dir",
            str(results / "logs"),
            "--name",
            "smoke",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    return completed, results


def result_file(results: Path, suffix: str) -> Path:
    matches = sorted(results.glob(f"*-smoke.{suffix}"))
    assert matches, f"no *-smoke.{suffix} in {results}"
    return matches[-1]


def test_runner_exits_zero(bench_result) -> None:
    completed, _ = bench_result
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]


def test_runner_prints_the_table(bench_result) -> None:
    completed, _ = bench_result
    assert "| deploy.yml, switching release (1 server) | s | 1 |" in completed.stdout


def test_result_has_samples_of_every_scenario(bench_result) -> None:
    payload = json.loads(result_file(bench_result[1], "json").read_text())
    for scenario in SCENARIOS:
        assert len(payload["samples"][scenario]) == 1, f"{scenario} has {payload['samples'][scenario]}"


def test_result_records_machine_and_versions(bench_result) -> None:
    environment = json.loads(result_file(bench_result[1], "json").read_text())["environment"]
    for key in ("date", "command", "cores", "memory_mib", "load_before", "load_after", "ansible", "docker_host"):
        assert environment[key], f"{key} is empty"
    assert environment["docker_server"].startswith("Engine "), environment["docker_server"]


def test_noop_changed_count_comes_from_the_recap(bench_result) -> None:
    noop = json.loads(result_file(bench_result[1], "json").read_text())["samples"]["noop"][0]
    assert isinstance(noop["changed"], int)


def test_unhealthy_verdict_comes_from_the_health_check(bench_result) -> None:
    failure = json.loads(result_file(bench_result[1], "json").read_text())["samples"]["failure"][0]
    assert failure["verdict_task"] == "health : Wait for the release to report healthy"


def test_markdown_lists_the_targets(bench_result) -> None:
    markdown = result_file(bench_result[1], "md").read_text()
    assert "## Targets" in markdown
