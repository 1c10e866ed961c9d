"""HTTP probes of the app's health endpoint from this host: a sampling thread and a wait loop."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass
class Sample:
    """One request to the health endpoint; times are wall-clock seconds since the epoch."""

    started: float
    finished: float
    status: int | None
    healthy: bool
    version: str
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the endpoint returned status 200, whatever the body contains."""
        return self.status == 200


def fetch(url: str, timeout: float) -> Sample:
    """Send one GET to ``url`` and record the response, or the HTTP or network error instead of raising it."""
    started = time.time()
    status: int | None = None
    raw = ""
    error = ""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback URL from the lab)
            status = response.status
            raw = response.read().decode(errors="replace")
    except urllib.error.HTTPError as http_error:
        status = http_error.code
        raw = http_error.read().decode(errors="replace")
    except (OSError, ValueError, http.client.HTTPException) as network_error:
        error = f"{type(network_error).__name__}: {network_error}"
    healthy, version = False, ""
    try:
        body = json.loads(raw) if raw else {}
        data = body.get("data") or {}
        healthy = status == 200 and body.get("success") is True and data.get("status") == "healthy"
        version = str(data.get("version", ""))
    except (ValueError, AttributeError):
        pass
    return Sample(started, time.time(), status, healthy, version, error)


class HealthProbe:
    """Request a health URL every ``interval`` seconds in a background thread and keep every sample.

    Requests are sequential: one that takes longer than the interval delays the next, so the
    samples never overlap and a hung request shows as one long gap.
    """

    def __init__(self, url: str, interval: float, request_timeout: float = 2.0) -> None:
        self.url = url
        self.interval = interval
        self.request_timeout = request_timeout
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health-probe", daemon=True)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> list[Sample]:
        """Stop sampling, wait for the request in flight, and return the samples."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.samples

    def _run(self) -> None:
        next_start = time.monotonic()
        while not self._stop.is_set():
            self.samples.append(fetch(self.url, self.request_timeout))
            next_start += self.interval
            delay = next_start - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_start = time.monotonic()


def wait_until_healthy(url: str, version: str, timeout: float, interval: float = 0.05) -> Sample | None:
    """Poll ``url`` until it reports healthy with ``version``; return that sample, or None at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sample = fetch(url, min(2.0, max(0.1, deadline - time.monotonic())))
        if sample.healthy and sample.version == version:
            return sample
        time.sleep(interval)
    return None


def downtime(samples: list[Sample]) -> dict:
    """Return the failed request count and the longest time between two successful requests.

    A request fails when it gets no HTTP response or a status other than 200. The gap runs
    from the end of one successful request to the end of the next, so a run of failures and
    any slow request both widen it.
    """
    succeeded = [sample.finished for sample in samples if sample.ok]
    gaps = [later - earlier for earlier, later in itertools.pairwise(succeeded)]
    return {
        "requests": len(samples),
        "failed": sum(1 for sample in samples if not sample.ok),
        "longest_gap": max(gaps) if gaps else None,
    }
