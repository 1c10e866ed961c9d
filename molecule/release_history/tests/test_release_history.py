"""Verify releases.json after four deploys and a rollback with two releases kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

SCENARIO_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars.yml").read_text())
DEPLOYED = SCENARIO_VARS["molecule_history_deployed"]
ROLLED_BACK = SCENARIO_VARS["molecule_history_rolled_back"]
IMAGE = SCENARIO_VARS["molecule_history_image"]
APP_DIR = "/srv/classroom-manager-staging"
HISTORY = f"{APP_DIR}/releases.json"


@pytest.fixture(scope="module")
def history(host) -> dict:
    return json.loads(host.file(HISTORY).content_string)


def test_history_file_belongs_to_deploy_user(host) -> None:
    history_file = host.file(HISTORY)
    assert history_file.exists, f"{HISTORY} is missing"
    assert history_file.user == "deploy", f"{HISTORY} is owned by {history_file.user}"
    assert history_file.mode == 0o640, f"{HISTORY} has mode {history_file.mode:o}, expected 640"


def test_history_names_format_and_project(history) -> None:
    assert history["format"] == 1
    assert history["project"] == "classroom-manager-staging"
    assert history["keep"] == 2


def test_records_of_releases_no_longer_kept_are_trimmed(history) -> None:
    assert [record["sha"] for record in history["records"]] == [DEPLOYED[2], DEPLOYED[3], ROLLED_BACK]


def test_deploy_record_carries_image_and_digest(history) -> None:
    record = next(item for item in history["records"] if item["sha"] == DEPLOYED[3])
    assert record["outcome"] == "deployed"
    assert record["images"]["backend"]["reference"] == f"{IMAGE}:staging-{DEPLOYED[3]}"
    assert record["images"]["backend"]["digest"].startswith(f"{IMAGE}@sha256:")


def test_rollback_record_names_phase_and_serving_release(history) -> None:
    record = history["records"][-1]
    assert record["outcome"] == "rolled_back"
    assert record["failed_phase"] == "health"
    assert record["serving_sha"] == DEPLOYED[3]


@pytest.mark.parametrize("sha", DEPLOYED[:2])
def test_release_folder_of_trimmed_release_is_removed(host, sha: str) -> None:
    assert not host.file(f"{APP_DIR}/releases/{sha}").exists, f"the folder of trimmed release {sha} is still there"


@pytest.mark.parametrize("sha", [*DEPLOYED[2:], ROLLED_BACK])
def test_release_folder_of_named_release_stays(host, sha: str) -> None:
    assert host.file(f"{APP_DIR}/releases/{sha}").is_directory, f"the release folder of {sha} was removed"


def test_read_finds_kept_and_last_good_releases(recorded_result) -> None:
    found = recorded_result("release_history-read")
    assert found["kept_shas"] == [DEPLOYED[3], DEPLOYED[2]]
    assert found["last_good_sha"] == DEPLOYED[3]
    assert found["previous_sha"] == DEPLOYED[2]
