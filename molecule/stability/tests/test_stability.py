"""Verify the stability role's verdicts: steady passes, a crash loop and an exited container fail."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def verdict(recorded_result):
    """Return a function that loads the recorded verdict on one project."""
    return lambda project: recorded_result(f"stability-{project}")


def test_steady_project_passes(verdict) -> None:
    record = verdict("molecule-steady")
    assert record["failed"] is False, record["msg"]


def test_leftover_container_is_not_watched(host) -> None:
    status = host.check_output("docker inspect --format '{{.State.Status}}' molecule-steady-leftover")
    assert status == "created", f"the leftover container is {status}; the steady verdict no longer covers it"


def test_steady_container_still_runs(host) -> None:
    status = host.check_output("docker inspect --format '{{.State.Status}} {{.RestartCount}}' molecule-steady-web-1")
    assert status == "running 0", f"the steady container is {status} (status, restarts)"


def test_crash_loop_fails(verdict) -> None:
    assert verdict("molecule-crashing")["failed"] is True, "a container that restarts passed the stability check"


def test_crash_loop_message_names_the_restarts(verdict) -> None:
    message = verdict("molecule-crashing")["msg"]
    prefix = "Not stable for 4 s after the health check passed: web (molecule-crashing-web-1) "
    assert message.startswith(prefix), message
    # Depending on where in its crash loop the window began, the container restarted
    # during the window or was restarting at its start: both name the crash loop.
    assert "time(s) during the window (RestartCount " in message or "was already restarting" in message, message


def test_crash_loop_message_quotes_the_logs(verdict) -> None:
    message = verdict("molecule-crashing")["msg"]
    assert "Last log lines of molecule-crashing-web-1:" in message, message
    assert "crashing with exit code 3" in message, message


def test_exited_container_fails_with_its_exit_code(verdict) -> None:
    record = verdict("molecule-exited")
    assert record["failed"] is True, "a container that had exited with code 4 passed the stability check"
    assert "web (molecule-exited-web-1) was already exited when the window began, exit code 4" in record["msg"], record[
        "msg"
    ]
