"""The benchmark report's record of tool versions."""

from __future__ import annotations

from bench.report import _command_output


def test_failed_command_keeps_first_error_line() -> None:
    output = _command_output(["sh", "-c", "echo; echo 'unknown flag: --short' >&2; echo 'Usage: docker' >&2; exit 125"])

    assert output == "unavailable (unknown flag: --short)"


def test_successful_command_returns_its_output() -> None:
    assert _command_output(["sh", "-c", "echo ' 2.26.1 '"]) == "2.26.1"
