"""Container health probe: ``python3 -m classroom_manager.probe``.

Exit 0 when GET /api/health on this container returns 200 with status ``healthy``, and 1
otherwise. The compose healthcheck runs it because the image has no curl or wget.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from classroom_manager.config import LISTEN_PORT
from classroom_manager.logging_setup import configure_logging, one_line

log = logging.getLogger("classroom_manager.probe")

HEALTH_URL = f"http://127.0.0.1:{LISTEN_PORT}/api/health"
# Above the health check's own worst case, the 2 s connect timeout of PostgreSQL and Redis.
TIMEOUT_SECONDS = 5


def probe() -> str | None:
    """Return None when the backend reports healthy, else the reason it does not."""
    try:
        with urllib.request.urlopen(HEALTH_URL, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
            raw = response.read()
    except urllib.error.HTTPError as exc:
        return f"{HEALTH_URL} returned HTTP {exc.code}: {exc.read(500).decode('utf-8', 'replace')}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{HEALTH_URL} is unreachable: {one_line(exc)}"

    try:
        health = json.loads(raw)["data"]["status"]
    except (ValueError, KeyError, TypeError):
        return f"{HEALTH_URL} returned HTTP {status} with an unexpected body: {raw[:500]!r}"
    if status != 200 or health != "healthy":
        return f"{HEALTH_URL} returned HTTP {status} with status {health!r}, expected 200 and 'healthy'"
    return None


def main() -> int:
    """Run the probe, log the reason on failure and return the exit code."""
    configure_logging()
    reason = probe()
    if reason is not None:
        log.error("unhealthy: %s", reason)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
