"""Webhook notification against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import logging

from launcher_support import closed_port

from shipline.notify import build_message, notify
from shipline.outcome import HostResult
from shipline.redaction import Redactor
from shipline.report import Report

LEAK_MARKER = "registry-token-must-not-leak"
SHA = "0123456789abcdef0123456789abcdef01234567"


def _report(command: str = "deploy", outcome: str = "rollback_failed") -> Report:
    return Report(
        command=command,
        inventory="inventories/staging",
        environment="staging",
        outcome=outcome,
        exit_code=3,
        reason=f"staging-1: rollback_failed: pull denied for token {LEAK_MARKER}",
        started_at="2026-03-01T10:00:00+00:00",
        finished_at="2026-03-01T10:01:00+00:00",
        duration_seconds=60.0,
        artifacts_dir="artifacts/x",
        sha=SHA,
        ci_run_url="https://github.com/acme/app/actions/runs/42",
        hosts=[HostResult(host="staging-1", outcome="rollback_failed", failed_phase="rollback")],
    )


def _environ(url: str) -> dict[str, str]:
    return {"SHIPLINE_WEBHOOK_URL": url, "STAGING_REGISTRY_PASSWORD": LEAK_MARKER}


def test_one_message_with_sha_env_outcome_and_no_secret(webhook_receiver):
    environ = _environ(webhook_receiver.url())

    delivered = notify(_report(), environ, Redactor([], environ))

    assert delivered is True
    assert len(webhook_receiver.bodies()) == 1
    body = webhook_receiver.bodies()[0]
    text = json.loads(body)["text"]
    assert SHA in text
    assert "staging" in text
    assert "rollback_failed" in text
    assert "https://github.com/acme/app/actions/runs/42" in text
    assert LEAK_MARKER not in body


def test_unreachable_receiver_logs_warning(caplog):
    environ = _environ(f"http://127.0.0.1:{closed_port()}/hook")

    with caplog.at_level(logging.WARNING, logger="shipline.notify"):
        delivered = notify(_report(), environ, Redactor([], environ))

    assert delivered is False
    assert "could not send the notification to 127.0.0.1" in caplog.text


def test_error_status_logs_warning(webhook_receiver, caplog):
    webhook_receiver.status = 500

    with caplog.at_level(logging.WARNING, logger="shipline.notify"):
        delivered = notify(_report(), _environ(webhook_receiver.url()))

    assert delivered is False
    assert "rejected the notification: HTTP 500" in caplog.text


def test_no_url_or_other_command_sends_nothing(webhook_receiver):
    assert notify(_report(), {}) is False
    assert notify(_report(command="status", outcome="status"), _environ(webhook_receiver.url())) is False
    assert webhook_receiver.bodies() == []


def test_message_lists_hosts():
    text = build_message(_report())["text"]

    assert "- staging-1: rollback_failed, failed in rollback" in text.splitlines()
