"""Verify the rollback role: the good release's pinned image serves again, and each case's message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

SCENARIO_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars.yml").read_text())
REPOSITORY = SCENARIO_VARS["molecule_rollback_repository"]
GOOD = SCENARIO_VARS["molecule_rollback_good_sha"]
FAILED = SCENARIO_VARS["molecule_rollback_failed_sha"]
PORT = SCENARIO_VARS["molecule_rollback_health_port"]
PROJECT = "classroom-manager-staging"


@pytest.fixture(scope="module")
def web(host) -> dict:
    """``docker inspect`` of the project's web container."""
    ids = host.check_output(
        f"docker ps --all --quiet --filter label=com.docker.compose.project={PROJECT} "
        "--filter label=com.docker.compose.service=web"
    ).split()
    assert len(ids) == 1, f"expected one web container, found {len(ids)}"
    return json.loads(host.check_output(f"docker inspect {ids[0]}"))[0]


def test_web_runs_again(web) -> None:
    assert web["State"]["Running"], f"web is {web['State']['Status']}"


def test_web_runs_the_good_release_digest(web, lab_state, registry_digest) -> None:
    expected = f"{lab_state.registry_server_address}/{REPOSITORY}@{registry_digest(REPOSITORY, GOOD)}"
    assert web["Config"]["Image"] == expected


def test_web_belongs_to_the_good_release(web) -> None:
    assert web["Config"]["Labels"].get("dev.shipline.release") == GOOD


def test_health_reports_the_good_release(host) -> None:
    body = host.check_output(
        f"python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{PORT}/api/health').read().decode())\""
    )
    assert json.loads(body)["data"]["version"] == GOOD


def test_rolled_back_outcome(recorded_result) -> None:
    record = recorded_result("rollback-rolled_back")
    assert record["outcome"] == "rolled_back", record
    assert record["serving_sha"] == GOOD, record


def test_rolled_back_message_names_failure_and_release(recorded_result) -> None:
    message = recorded_result("rollback-rolled_back")["message"]
    assert message.startswith(f"Deploy of {FAILED} to staging-1 failed in phase health: "), message
    assert "was not healthy after 30.0 s" in message, message
    assert f"Rolled back: release {GOOD} is serving again and healthy (HTTP 200, version {GOOD}," in message, message


def test_unchanged_server_is_not_rolled_back(recorded_result) -> None:
    record = recorded_result("rollback-server_not_changed")
    assert record["outcome"] == "failed", record
    assert record["serving_sha"] == GOOD, record
    assert f"The server was not changed, so nothing was rolled back and release {GOOD} still serves." in record[
        "message"
    ], record["message"]


def test_first_deploy_has_nothing_to_restore(recorded_result) -> None:
    record = recorded_result("rollback-first_deploy")
    assert record["outcome"] == "failed", record
    assert "has no earlier release to restore (a first deploy)" in record["message"], record["message"]


def test_manual_rollback_rejects_unknown_sha(recorded_result) -> None:
    record = recorded_result("rollback-manual_unknown_sha")
    assert "abcdef1 is not a kept release" in record["message"], record["message"]
    assert f"Kept releases, newest first: {FAILED}, {GOOD}. Nothing was changed." in record["message"], record[
        "message"
    ]
