"""Verify the preflight role's failure messages per bad input, and that its checks wrote nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SCENARIO_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars.yml").read_text())
QUOTED_VALUE = SCENARIO_VARS["molecule_preflight_quoted_value"]

# Case -> a part of the message that names the input and the fix.
EXPECTED_MESSAGES = {
    "bad_sha": 'shipline_sha "not-a-sha" is not a commit sha',
    "missing_variable": "molecule_unset_variable is missing or empty",
    "missing_key_file": "/nonexistent/deploy_ed25519 does not exist or is not a file",
    "registry_with_scheme": '"https://registry.shipline.test:5000" is not a registry host[:port]',
    "quote_in_env_value": "molecule_preflight_quoted_value contains a single quote or a line break",
    "wrong_registry_password": "rejected the credentials of user shipline",
    "compose_too_old": "need 99.0 or later (preflight_compose_min_version)",
    "disk_too_full": "need 1000000.0 GiB",
}


@pytest.fixture(scope="module")
def record(recorded_result):
    """Return a function that loads the recorded outcome of one case."""
    return lambda case: recorded_result(f"preflight-{case}")


def test_every_case_has_an_expected_message() -> None:
    assert sorted(EXPECTED_MESSAGES) == sorted(SCENARIO_VARS["molecule_preflight_cases"])


@pytest.mark.parametrize("case", sorted(EXPECTED_MESSAGES))
def test_bad_input_fails(record, case: str) -> None:
    assert record(case)["failed"] is True, f"preflight accepted the bad input of case {case}"


@pytest.mark.parametrize("case", sorted(EXPECTED_MESSAGES))
def test_failure_message_names_the_cause(record, case: str) -> None:
    message = record(case)["msg"]
    assert EXPECTED_MESSAGES[case] in message, f"case {case}: {message!r}"


def test_unquotable_value_stays_out_of_the_message(record) -> None:
    assert QUOTED_VALUE not in record("quote_in_env_value")["msg"]


def test_registry_check_stores_no_login(host) -> None:
    assert not host.file("/home/deploy/.docker/config.json").exists, "the registry check stored credentials"


def test_checks_create_no_release(host) -> None:
    assert host.file("/srv/classroom-manager-staging").listdir() == [], "preflight wrote into the app folder"
