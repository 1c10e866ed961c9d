#!/usr/bin/python
"""Ansible module: poll an HTTP health endpoint until it reports healthy or a deadline passes."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: shipline_health_check
short_description: Poll an HTTP health endpoint until it is healthy or a deadline passes
description:
  - Requests O(url) every O(interval) seconds until it answers as healthy or O(timeout) seconds have
    passed since the first request.
  - An answer is healthy when the status is 200, the JSON body has C(success) true and C(data.status)
    equal to O(expected_status), and, when O(expected_version) is set and the body reports a version,
    that version equals O(expected_version). An old container that still answers therefore cannot pass.
  - On failure the message gives the last status code, an excerpt of the last body, the reason and
    the elapsed time.
  - Runs on the target host, so a URL on 127.0.0.1 is the server's own loopback.
options:
  url:
    description: The health URL.
    type: str
    required: true
  timeout:
    description: Seconds from the first request after which the check fails.
    type: float
    default: 30
  interval:
    description: Seconds between the start of two requests.
    type: float
    default: 1
  request_timeout:
    description: Seconds one request may take. Never more than the time left before the deadline.
    type: float
    default: 5
  expected_status:
    description: The value C(data.status) must have.
    type: str
    default: healthy
  expected_version:
    description: When set, C(data.version) must equal it whenever the body reports a version.
    type: str
  excerpt_length:
    description: Maximum characters of the body quoted in results and messages.
    type: int
    default: 300
author: Shipline
"""

EXAMPLES = r"""
- name: Wait for the new release to report healthy
  shipline_health_check:
    url: http://127.0.0.1:8080/api/health
    timeout: 30
    expected_version: "{{ shipline_sha }}"
"""

RETURN = r"""
healthy:
  description: Whether the endpoint reported healthy before the deadline.
  type: bool
  returned: always
status_code:
  description: HTTP status of the last response, or null when none came.
  type: int
  returned: always
body_excerpt:
  description: The start of the last body, at most O(excerpt_length) characters.
  type: str
  returned: always
version:
  description: C(data.version) from the last JSON body, when it had one.
  type: str
  returned: always
reason:
  description: Why the last response was not healthy. Empty when healthy.
  type: str
  returned: always
elapsed:
  description: Seconds from the first request to the verdict.
  type: float
  returned: always
attempts:
  description: Number of requests made.
  type: int
  returned: always
"""

import json
import time
import urllib.error
import urllib.request

from ansible.module_utils.basic import AnsibleModule


def judge(status_code, body, expected_status, expected_version):
    """Return (healthy, reason, version) for one response."""
    version = None
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("data"), dict):
        reported = document["data"].get("version")
        version = None if reported is None else str(reported)
    if status_code != 200:
        return False, f"status {status_code}, expected 200", version
    if not isinstance(document, dict):
        return False, "body is not a JSON object", version
    if document.get("success") is not True:
        return False, "body has no \"success\": true", version
    status = document.get("data", {}).get("status") if isinstance(document.get("data"), dict) else None
    if status != expected_status:
        return False, f"data.status is {status!r}, expected {expected_status!r}", version
    if expected_version and version is not None and version != expected_version:
        return False, f"data.version is {version!r}, expected {expected_version!r} (an older release answers)", version
    return True, "", version


def request(url, timeout):
    """Return (status_code, body) of one GET; status None when no HTTP response came."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (URL from the operator)
            return response.status, response.read(65536).decode("utf-8", errors="replace"), ""
    except urllib.error.HTTPError as error:
        return error.code, error.read(65536).decode("utf-8", errors="replace"), ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, "", f"no answer: {getattr(error, 'reason', error)}"


def poll(params, clock=time.monotonic, sleep=time.sleep):
    """Poll until healthy or the deadline; return the result dict."""
    start = clock()
    deadline = start + params["timeout"]
    attempts = 0
    result = {"status_code": None, "body_excerpt": "", "version": None, "reason": "no request made"}
    while True:
        attempt_start = clock()
        attempts += 1
        remaining = max(deadline - attempt_start, 0.1)
        status_code, body, transport_error = request(params["url"], min(params["request_timeout"], remaining))
        if transport_error:
            healthy, reason, version = False, transport_error, None
        else:
            healthy, reason, version = judge(
                status_code, body, params["expected_status"], params.get("expected_version")
            )
        result = {
            "status_code": status_code,
            "body_excerpt": body[: params["excerpt_length"]],
            "version": version,
            "reason": reason,
        }
        now = clock()
        if healthy or now >= deadline:
            result.update(healthy=healthy, elapsed=round(now - start, 3), attempts=attempts)
            return result
        sleep(max(0.0, min(attempt_start + params["interval"], deadline) - now))


def main():
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "required": True},
            "timeout": {"type": "float", "default": 30},
            "interval": {"type": "float", "default": 1},
            "request_timeout": {"type": "float", "default": 5},
            "expected_status": {"type": "str", "default": "healthy"},
            "expected_version": {"type": "str"},
            "excerpt_length": {"type": "int", "default": 300},
        },
        supports_check_mode=True,
    )
    if module.check_mode:
        module.exit_json(changed=False, skipped=True, msg="health is not polled in check mode")
    result = poll(module.params)
    if result["healthy"]:
        module.exit_json(changed=False, **result)
    last = "no HTTP answer" if result["status_code"] is None else f"last status {result['status_code']}"
    module.fail_json(
        msg=(
            f"{module.params['url']} was not healthy after {result['elapsed']:.1f} s "
            f"({result['attempts']} requests): {last}; {result['reason']}; body: {result['body_excerpt']!r}"
        ),
        **result,
    )


if __name__ == "__main__":
    main()
