"""Verify the result file the deploy_report role wrote on the controller."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

SCENARIO_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars.yml").read_text())
SECRET = SCENARIO_VARS["molecule_report_secret"]


@pytest.fixture(scope="module")
def result_file(ephemeral_directory: Path) -> Path:
    path = ephemeral_directory / "results" / "localhost.json"
    assert path.exists(), f"{path} is missing"
    return path


@pytest.fixture(scope="module")
def result(result_file: Path) -> dict:
    return json.loads(result_file.read_text())


def test_result_file_mode_is_0640(result_file: Path) -> None:
    assert result_file.stat().st_mode & 0o777 == 0o640


def test_result_names_outcome_and_releases(result) -> None:
    assert result["outcome"] == "rolled_back"
    assert result["sha"] == SCENARIO_VARS["molecule_report_sha"]
    assert result["serving_sha"] == SCENARIO_VARS["molecule_report_previous_sha"]
    assert result["failed_phase"] == "health"


def test_empty_values_are_null(result) -> None:
    assert result["lock"] is None
    assert result["releases"] == []


def test_health_keeps_status_and_version(result) -> None:
    assert result["health"]["status_code"] == 503
    assert result["health"]["version"] == SCENARIO_VARS["molecule_report_sha"]


def test_secret_is_masked_everywhere(result_file: Path) -> None:
    assert SECRET not in result_file.read_text()


def test_masked_places_show_stars(result) -> None:
    assert "postgres://classroom:********@db" in result["message"], result["message"]
    assert "********" in result["health"]["body_excerpt"], result["health"]["body_excerpt"]
