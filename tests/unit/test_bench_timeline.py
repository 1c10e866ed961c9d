"""Tests of the benchmark's timeline callback plugin and of the summaries built from its events."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.probes import Sample, downtime
from bench.report import summarize
from bench.summary import build_rows, check_targets
from bench.timeline import PLAYBOOK_STEP, Timeline, callback_env, step_name

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

PLAYBOOK = """
- name: Exercise the timeline plugin
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Report something
      ansible.builtin.debug:
        msg: hello

    - name: Change something
      ansible.builtin.command: "true"
      changed_when: true

    - name: Fail and carry on
      ansible.builtin.fail:
        msg: ignored
      ignore_errors: true

    - name: Fail inside a block
      block:
        - name: Fail for real
          ansible.builtin.fail:
            msg: verdict
      rescue:
        - name: Recover
          ansible.builtin.debug:
            msg: rescued
"""


@pytest.fixture(scope="module")
def timeline(tmp_path_factory) -> Timeline:
    """The timeline of a real ansible-playbook run on localhost with the plugin enabled."""
    folder = tmp_path_factory.mktemp("timeline")
    playbook = folder / "play.yml"
    playbook.write_text(PLAYBOOK)
    path = folder / "timeline.jsonl"
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), **callback_env(path)}
    completed = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            "localhost,",
            str(playbook),
            "-e",
            f"ansible_python_interpreter={sys.executable}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return Timeline.load(path)


def results_by_task(timeline: Timeline) -> dict[str, dict]:
    return {event["task"]: event for event in timeline.events if event["event"] == "result"}


def test_callback_records_every_task_start(timeline) -> None:
    started = [event["task"] for event in timeline.events if event["event"] == "task_start"]
    assert started == ["Report something", "Change something", "Fail and carry on", "Fail for real", "Recover"]


def test_callback_marks_changed_results(timeline) -> None:
    assert results_by_task(timeline)["Change something"]["status"] == "changed"


def test_callback_marks_ignored_failures(timeline) -> None:
    assert results_by_task(timeline)["Fail and carry on"]["ignore_errors"] is True


def test_callback_records_task_file_and_line(timeline) -> None:
    assert results_by_task(timeline)["Report something"]["path"].endswith("play.yml:7")


def test_first_failure_skips_ignored_ones(timeline) -> None:
    assert timeline.first_failure("localhost")["task"] == "Fail for real"


def test_verdict_task_has_a_host_start(timeline) -> None:
    verdict = timeline.first_failure("localhost")
    started = timeline.host_task_start(verdict["uuid"], "localhost")
    assert started is not None
    assert started <= verdict["time"]


def test_callback_writes_recap_counts(timeline) -> None:
    stats = [event for event in timeline.events if event["event"] == "stats"]
    assert stats[-1]["hosts"]["localhost"]["rescued"] == 1


def test_steps_add_up_to_the_run(timeline) -> None:
    starts = [event["time"] for event in timeline.events if event["event"] == "task_start"]
    end = timeline.events[-1]["time"]
    assert sum(timeline.seconds_by_step().values()) == pytest.approx(end - starts[0])


def test_missing_timeline_file_is_empty(tmp_path) -> None:
    assert Timeline.load(tmp_path / "absent.jsonl").events == []


@pytest.mark.parametrize(
    ("path", "role", "step"),
    [
        ("/repo/roles/image_deploy/tasks/pull.yml:6", "image_deploy", "image_deploy/pull"),
        ("/repo/roles/image_deploy/meta/argument_specs.yml:3", "image_deploy", "image_deploy"),
        ("/repo/playbooks/deploy.yml:40", "image_deploy", PLAYBOOK_STEP),
        ("/repo/playbooks/deploy.yml:30", "", PLAYBOOK_STEP),
    ],
)
def test_step_name_follows_the_task_file(path, role, step) -> None:
    assert step_name({"path": path, "role": role}) == step


def sample(finished: float, status: int | None) -> Sample:
    return Sample(started=finished - 0.01, finished=finished, status=status, healthy=status == 200, version="v")


def test_downtime_counts_failed_requests() -> None:
    samples = [sample(0.0, 200), sample(0.1, None), sample(0.2, 503), sample(0.3, 200)]
    assert downtime(samples)["failed"] == 2


def test_downtime_longest_gap_spans_failures() -> None:
    samples = [sample(0.0, 200), sample(0.1, None), sample(0.2, 503), sample(0.3, 200), sample(0.35, 200)]
    assert downtime(samples)["longest_gap"] == pytest.approx(0.3)


def test_downtime_without_two_answers_has_no_gap() -> None:
    assert downtime([sample(0.0, None), sample(0.1, 200)])["longest_gap"] is None


def test_summarize_single_value_has_equal_quartiles() -> None:
    assert summarize([4.0]) == {"n": 1, "median": 4.0, "min": 4.0, "max": 4.0, "q1": 4.0, "q3": 4.0}


def test_summarize_quartiles_lie_within_range() -> None:
    summary = summarize([1.0, 2.0, 3.0, 4.0, 10.0])
    assert (summary["median"], summary["q1"], summary["q3"]) == (3.0, 2.0, 4.0)


def test_summarize_nothing_is_none() -> None:
    assert summarize([]) is None


def test_ratio_row_divides_each_deploy_by_its_floor() -> None:
    rows = build_rows({"deploy": [{"seconds": 30.0}], "floor": [{"seconds": 10.0}]})
    ratio = next(row for row in rows if row.unit == "x")
    assert ratio.values == [3.0]


def test_noop_target_missed_when_a_task_changed() -> None:
    targets = check_targets({"noop": [{"seconds": 5.0, "changed": 0}, {"seconds": 5.0, "changed": 2}]})
    assert targets[0]["met"] is False


def test_deploy_target_met_at_the_limit() -> None:
    targets = check_targets({"deploy": [{"seconds": 15.0}], "floor": [{"seconds": 10.0}]})
    assert targets[0]["met"] is True
