"""Verify the deploy lock: taken and released by a run, waited for, broken when stale or forced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

SCENARIO_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars.yml").read_text())
OTHER = SCENARIO_VARS["molecule_lock_other"]
APP_DIR = "/srv/classroom-manager-staging"


@pytest.fixture(scope="module")
def break_log(host) -> list[dict]:
    """The lines of deploy-lock.log, one JSON object per broken lock."""
    log = host.file(f"{APP_DIR}/deploy-lock.log")
    assert log.exists, "deploy-lock.log is missing: no broken lock was logged"
    return [json.loads(line) for line in log.content_string.splitlines() if line.strip()]


def test_run_holds_the_lock_while_it_runs(recorded_result) -> None:
    record = recorded_result("deploy_lock-held")
    assert record["acquired"] is True
    assert record["holder_file"] is True, "no holder.json while the run held the lock"


def test_lock_is_gone_after_the_cases(host) -> None:
    assert not host.file(f"{APP_DIR}/.deploy.lock").exists


def test_other_runs_lock_blocks(recorded_result) -> None:
    record = recorded_result("deploy_lock-held_by_other_run")
    assert record["acquired"] is False, "the run took a lock another run holds"
    assert record["blocked_by"]["holder"] == OTHER["holder"], record


def test_blocked_message_names_the_holder_and_the_way_out(recorded_result) -> None:
    message = recorded_result("deploy_lock-held_by_other_run")["msg"]
    assert f"is still held by {OTHER['holder']} (deploy of {OTHER['sha']}, run {OTHER['run']})" in message, message
    assert "retry with shipline_lock_force=true" in message, message


def test_blocked_message_holds_no_token(recorded_result) -> None:
    assert OTHER["token"] not in json.dumps(recorded_result("deploy_lock-held_by_other_run"))


@pytest.mark.parametrize("case", ["stale_lock", "forced"])
def test_lock_is_taken_over(recorded_result, case: str) -> None:
    assert recorded_result(f"deploy_lock-{case}")["acquired"] is True, f"case {case} did not take the lock"


@pytest.mark.parametrize(("reason", "age"), [("stale", 7200), ("forced", 60)])
def test_broken_lock_is_logged(break_log, reason: str, age: int) -> None:
    entries = [entry for entry in break_log if entry.get("reason") == reason]
    assert len(entries) == 1, f"expected one {reason} entry in deploy-lock.log, found {break_log}"
    assert entries[0]["holder"] == OTHER["holder"], entries[0]
    assert entries[0]["by"] == SCENARIO_VARS["molecule_lock_holder"], entries[0]
    assert abs(entries[0]["age"] - age) < 120, f"logged age {entries[0]['age']} s, expected about {age} s"
