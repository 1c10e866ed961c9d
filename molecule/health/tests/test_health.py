"""Verify the health role's verdicts and messages, as side_effect.yml recorded them per case."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SCENARIO_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars.yml").read_text())
PORT = SCENARIO_VARS["molecule_health_stub_port"]
VERSION = SCENARIO_VARS["molecule_health_stub_version"]


@pytest.fixture(scope="module")
def verdict(recorded_result):
    """Return a function that loads the recorded result of one case."""
    return lambda case: recorded_result(f"health-{case}")


def test_stub_service_runs(host) -> None:
    assert host.service("molecule-health-stub").is_running, "the stub is down, so no verdict below means anything"


def test_healthy_endpoint_passes(verdict) -> None:
    result = verdict("healthy")
    assert result.get("failed") is not True, f"the check failed: {result.get('msg')}"
    assert result["healthy"] is True


def test_healthy_endpoint_reports_its_version(verdict) -> None:
    result = verdict("healthy")
    assert result["version"] == VERSION
    assert result["status_code"] == 200
    assert result["reason"] == ""


def test_unhealthy_endpoint_fails(verdict) -> None:
    result = verdict("unhealthy")
    assert result.get("failed") is True, "the check passed on an endpoint that answers 503"
    assert result["healthy"] is False


def test_unhealthy_endpoint_message_names_status_and_body(verdict) -> None:
    message = verdict("unhealthy")["msg"]
    assert message.startswith(f"http://127.0.0.1:{PORT}/unhealthy was not healthy after "), message
    assert "last status 503; status 503, expected 200;" in message, message
    assert '"status": "unhealthy"' in message, f"the message lacks the body excerpt: {message}"


def test_older_release_fails_on_version(verdict) -> None:
    result = verdict("older_release_answers")
    assert result.get("failed") is True, "the check passed although the endpoint reports another version"
    expected = f"data.version is '{VERSION}', expected '0ddba11' (an older release answers)"
    assert result["reason"] == expected
    assert expected in result["msg"], result["msg"]


def test_closed_port_fails_with_no_answer(verdict) -> None:
    result = verdict("no_answer")
    assert result.get("failed") is True, "the check passed although nothing listens"
    assert result["status_code"] is None
    assert "no HTTP answer" in result["msg"], result["msg"]
    assert "Connection refused" in result["msg"], result["msg"]
