"""Tests of the shipline_health_check module against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

MODULE_PATH = Path(__file__).resolve().parents[2] / "roles/health/library/shipline_health_check.py"
spec = importlib.util.spec_from_file_location("shipline_health_check", MODULE_PATH)
health = importlib.util.module_from_spec(spec)
spec.loader.exec_module(health)

HEALTHY = {"success": True, "data": {"status": "healthy", "version": "abc1234"}}


class Endpoint:
    """A health endpoint whose answers the test scripts as (status, body) pairs; the last one repeats."""

    def __init__(self, answers: list[tuple[int, str]]):
        self.answers = answers
        self.requests = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                index = min(endpoint.requests, len(endpoint.answers) - 1)
                endpoint.requests += 1
                status, body = endpoint.answers[index]
                payload = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/health"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def params(url: str, **overrides: object) -> dict:
    values = {
        "url": url,
        "timeout": 2.0,
        "interval": 0.1,
        "request_timeout": 1.0,
        "expected_status": "healthy",
        "expected_version": None,
        "excerpt_length": 300,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("status", "body", "version", "healthy", "reason_part"),
    [
        (200, json.dumps(HEALTHY), "abc1234", True, ""),
        (200, json.dumps(HEALTHY), None, True, ""),
        (503, json.dumps({"success": False}), None, False, "status 503"),
        (200, "not json", None, False, "not a JSON object"),
        (200, json.dumps({"success": False, "data": {"status": "healthy"}}), None, False, '"success": true'),
        (200, json.dumps({"success": True, "data": {"status": "unhealthy"}}), None, False, "'unhealthy'"),
        (200, json.dumps(HEALTHY), "0ld0000", False, "an older release"),
    ],
)
def test_judge_cases(status: int, body: str, version: str | None, healthy: bool, reason_part: str) -> None:
    verdict, reason, _ = health.judge(status, body, "healthy", version)
    assert verdict is healthy
    assert reason_part in reason


def test_poll_passes_once_endpoint_turns_healthy() -> None:
    endpoint = Endpoint([(503, "{}"), (503, "{}"), (200, json.dumps(HEALTHY))])
    try:
        result = health.poll(params(endpoint.url, expected_version="abc1234"))
    finally:
        endpoint.close()
    assert result["healthy"] is True
    assert result["attempts"] == 3
    assert result["version"] == "abc1234"


def test_poll_fails_at_deadline_with_last_body() -> None:
    unhealthy = json.dumps({"success": True, "data": {"status": "unhealthy", "version": "abc1234"}})
    endpoint = Endpoint([(200, unhealthy)])
    try:
        result = health.poll(params(endpoint.url, timeout=0.5))
    finally:
        endpoint.close()
    assert result["healthy"] is False
    assert result["status_code"] == 200
    assert '"unhealthy"' in result["body_excerpt"]
    assert 0.5 <= result["elapsed"] < 0.5 + 1.0
    assert result["attempts"] >= 2


def test_poll_reports_closed_port() -> None:
    endpoint = Endpoint([(200, "{}")])
    url = endpoint.url
    endpoint.close()
    result = health.poll(params(url, timeout=0.3))
    assert result["healthy"] is False
    assert result["status_code"] is None
    assert result["reason"].startswith("no answer")
