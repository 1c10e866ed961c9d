"""Verify the migrations role: the command ran beside the serving database, and its failures."""

from __future__ import annotations

import pytest

PROJECT = "classroom-manager-staging"
OUTPUT = "/home/deploy/migrations-output/applied"


def test_migration_command_ran_and_reached_the_database(host) -> None:
    marker = host.file(OUTPUT)
    assert marker.exists, f"{OUTPUT} is missing: the command did not run or did not reach the db service"
    assert marker.content_string.strip() == "applied migration 0001"


def test_serving_database_was_not_recreated(host, recorded_result) -> None:
    before = recorded_result("migrations-db")["container_id"]
    now = host.check_output(f"docker inspect --format '{{{{.Id}}}} {{{{.State.Status}}}}' {PROJECT}-db-1")
    assert now == f"{before} running", f"the database container changed: was {before}, now {now}"


def test_no_migration_container_is_left(host) -> None:
    containers = host.check_output(
        f"docker ps --all --format '{{{{.Names}}}}' --filter label=com.docker.compose.project={PROJECT}"
    ).split()
    assert containers == [f"{PROJECT}-db-1"], f"containers of the project: {containers}"


@pytest.mark.parametrize("case", ["failing_command", "missing_service"])
def test_case_fails(recorded_result, case: str) -> None:
    assert recorded_result(f"migrations-{case}")["failed"] is True, f"case {case} passed"


def test_failing_command_message_gives_exit_code_and_output(recorded_result) -> None:
    message = recorded_result("migrations-failing_command")["msg"]
    assert "in service app exited with code 3" in message, message
    assert "migration 0002 failed: column classrooms.name exists" in message, message
    assert "The release that was serving keeps serving; nothing was switched." in message, message


def test_missing_service_message_names_the_variable(recorded_result) -> None:
    message = recorded_result("migrations-missing_service")["msg"]
    assert 'The release\'s compose file has no service "worker"' in message, message
    assert "(migrations_service)" in message, message
