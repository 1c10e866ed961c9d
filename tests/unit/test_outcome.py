"""Deciding outcome and exit code from per-host result files and the playbook status."""

from __future__ import annotations

import json

import pytest

from shipline.exit_codes import ExitCode, most_severe
from shipline.outcome import HostResult, decide, read_host_results

LOCK = {"holder": "bob (run 7)", "sha": "abcdef1", "run": "https://ci/7", "since": "2026-01-01T00:00:00Z"}


def _host(name: str, outcome: str, **fields: object) -> HostResult:
    return HostResult(host=name, outcome=outcome, **fields)


@pytest.mark.parametrize(
    ("outcomes", "status", "exit_code", "outcome"),
    [
        (["deployed"], "successful", ExitCode.OK, "deployed"),
        (["deployed", "deployed"], "successful", ExitCode.OK, "deployed"),
        (["rolled_back"], "failed", ExitCode.FAILED_PREVIOUS_SERVES, "rolled_back"),
        (["failed"], "failed", ExitCode.FAILED_PREVIOUS_SERVES, "failed"),
        (["rollback_failed"], "failed", ExitCode.ROLLBACK_FAILED, "rollback_failed"),
        (["deployed", "rollback_failed"], "failed", ExitCode.ROLLBACK_FAILED, "rollback_failed"),
        (["rolled_back", "unreachable"], "failed", ExitCode.UNREACHABLE, "rolled_back"),
        (["deployed"], "failed", ExitCode.FAILED_PREVIOUS_SERVES, "failed"),
        (["status"], "successful", ExitCode.FAILED_PREVIOUS_SERVES, "failed"),
    ],
)
def test_deploy_decision(outcomes, status, exit_code, outcome):
    results = [_host(f"web{index}", value) for index, value in enumerate(outcomes)]

    decision = decide("deploy", results, status, [])

    assert decision.exit_code == exit_code
    assert decision.outcome == outcome


def test_lock_held_exits_5_and_names_holder():
    results = [_host("web1", "failed", failed_phase="deploy_lock", lock=LOCK)]

    decision = decide("deploy", results, "failed", [])

    assert decision.exit_code == ExitCode.LOCK_HELD
    assert "lock held by bob (run 7) since 2026-01-01T00:00:00Z" in decision.reason


def test_reason_names_phase_once():
    message = "Deploy of abcdef1 to web1 failed in phase health: HTTP 502. Rolled back: release 1234567 serves."
    results = [_host("web1", "rolled_back", failed_phase="health", message=message)]

    decision = decide("deploy", results, "failed", [])

    assert decision.reason == f"web1: rolled_back: {message}"


def test_reason_adds_missing_phase():
    results = [_host("web1", "rolled_back", failed_phase="health", message="HTTP 502")]

    decision = decide("deploy", results, "failed", [])

    assert decision.reason == "web1: rolled_back in phase health: HTTP 502"


def test_rollback_decision():
    assert decide("rollback", [_host("web1", "rolled_back")], "successful", []).exit_code == ExitCode.OK
    assert decide("rollback", [_host("web1", "failed")], "failed", []).exit_code == 1
    assert decide("rollback", [_host("web1", "rollback_failed")], "failed", []).exit_code == 3


def test_no_hosts_is_a_failure():
    decision = decide("deploy", [], "successful", [])

    assert decision.exit_code == ExitCode.FAILED_PREVIOUS_SERVES
    assert "no host ran" in decision.reason


def test_read_results_fills_missing_and_unreachable(tmp_path):
    (tmp_path / "web1.json").write_text(
        json.dumps({"outcome": "deployed", "sha": "abc", "health": {"status_code": 200}, "extra": 1})
    )
    (tmp_path / "web2.json").write_text("{not json")

    results = read_host_results(tmp_path, ["web1", "web2", "web3", "web4"], ["web4"], {"web3": "disk full"})
    by_host = {result.host: result for result in results}

    assert by_host["web1"].outcome == "deployed"
    assert by_host["web1"].health == {"status_code": 200}
    assert by_host["web2"].outcome == "failed"
    assert "unreadable result file" in by_host["web2"].message
    assert by_host["web3"].outcome == "failed"
    assert by_host["web3"].message == (
        "no result file: the playbook failed before the server was changed (disk full)"
    )
    assert by_host["web4"].outcome == "unreachable"


def test_most_severe_order():
    assert most_severe([ExitCode.FAILED_PREVIOUS_SERVES, ExitCode.LOCK_HELD]) == ExitCode.LOCK_HELD
    assert most_severe([ExitCode.LOCK_HELD, ExitCode.UNREACHABLE]) == ExitCode.UNREACHABLE
    assert most_severe([ExitCode.UNREACHABLE, ExitCode.ROLLBACK_FAILED]) == ExitCode.ROLLBACK_FAILED
    assert most_severe([]) == ExitCode.OK


def test_canceled_host_is_a_possible_outage(tmp_path):
    results = read_host_results(tmp_path, ["web1"], [], canceled=True)

    assert results[0].outcome == "canceled"
    assert decide("deploy", results, "canceled", []).exit_code == ExitCode.ROLLBACK_FAILED
    assert decide("rollback", results, "canceled", []).exit_code == ExitCode.ROLLBACK_FAILED
    assert decide("status", results, "canceled", []).exit_code == ExitCode.FAILED_PREVIOUS_SERVES
