"""Post one Slack-compatible webhook message after a deploy or rollback.

The URL comes from SHIPLINE_WEBHOOK_URL. Slack incoming webhooks, Mattermost and
other services that accept ``{"text": ...}`` work. A failure to send is logged as a
warning and never changes the exit code. The URL itself is a secret, so only its
host appears in logs.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from shipline.redaction import Redactor
from shipline.report import Report

log = logging.getLogger(__name__)

WEBHOOK_URL_VAR = "SHIPLINE_WEBHOOK_URL"
TIMEOUT_SECONDS = 10.0
NOTIFIED_COMMANDS = ("deploy", "rollback")
MAX_HOST_LINES = 10


def build_message(report: Report) -> dict[str, Any]:
    """Return the webhook payload: ``{"text": ...}`` with sha, environment, outcome and run link."""
    sha = report.sha or report.rollback_to or "unknown"
    first = f"Shipline {report.command} of {sha} to {report.environment}: {report.outcome}"
    lines = [first, f"exit code {report.exit_code}: {report.reason}"]

    for host in report.hosts[:MAX_HOST_LINES]:
        line = f"- {host.host}: {host.outcome}"
        if host.serving_sha:
            line += f", serving {host.serving_sha[:12]}"
        if host.failed_phase:
            line += f", failed in {host.failed_phase}"
        lines.append(line)
    if len(report.hosts) > MAX_HOST_LINES:
        lines.append(f"- and {len(report.hosts) - MAX_HOST_LINES} more host(s)")

    if report.deployed_by:
        lines.append(f"by {report.deployed_by}")
    if report.ci_run_url:
        lines.append(f"CI run: {report.ci_run_url}")
    return {"text": "\n".join(lines)}


def _url_host(url: str) -> str:
    return urlsplit(url).hostname or "(no host)"


def send(url: str, payload: Mapping[str, Any], timeout: float = TIMEOUT_SECONDS) -> bool:
    """POST ``payload`` as JSON to ``url``; return True on a 2xx response, log a warning otherwise."""
    host = _url_host(url)
    if urlsplit(url).scheme not in ("http", "https"):
        log.warning("%s is not an http(s) URL; no notification sent", WEBHOOK_URL_VAR)
        return False

    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            status = response.status
    except urllib.error.HTTPError as error:
        log.warning("webhook at %s rejected the notification: HTTP %d", host, error.code)
        return False
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        log.warning("could not send the notification to %s: %s", host, reason)
        return False

    if not 200 <= status < 300:
        log.warning("webhook at %s responded with HTTP %d, so the notification may be lost", host, status)
        return False
    log.info("sent the notification to %s", host)
    return True


def notify(report: Report, environ: Mapping[str, str], redactor: Redactor | None = None) -> bool:
    """Send the message for a deploy or rollback when SHIPLINE_WEBHOOK_URL is set.

    Returns whether a message was delivered. Other commands and unset URLs send nothing.
    """
    url = environ.get(WEBHOOK_URL_VAR, "").strip()
    if not url or report.command not in NOTIFIED_COMMANDS:
        return False
    payload = build_message(report)
    if redactor is not None:
        payload = redactor.redact_data(payload)
    return send(url, payload)
