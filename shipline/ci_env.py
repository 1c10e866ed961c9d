"""Defaults that the launcher derives from the GitHub Actions environment or the local host."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path


def default_deployed_by(environ: Mapping[str, str]) -> str:
    """Return who runs this deploy: ``<actor> (run <id>)`` in Actions, else ``user@host``."""
    actor = environ.get("GITHUB_ACTOR", "")
    if actor:
        run_id = environ.get("GITHUB_RUN_ID", "")
        return f"{actor} (run {run_id})" if run_id else actor

    user = environ.get("USER") or _login_name()
    return f"{user}@{socket.gethostname()}"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except OSError:
        return "unknown"


def default_ci_run_url(environ: Mapping[str, str]) -> str | None:
    """Return the Actions run URL built from GITHUB_SERVER_URL, _REPOSITORY and _RUN_ID.

    Returns None unless all three are set.
    """
    server = environ.get("GITHUB_SERVER_URL", "").rstrip("/")
    repository = environ.get("GITHUB_REPOSITORY", "")
    run_id = environ.get("GITHUB_RUN_ID", "")
    if not (server and repository and run_id):
        return None
    return f"{server}/{repository}/actions/runs/{run_id}"


def default_artifacts_dir(command: str, now: datetime | None = None) -> Path:
    """Return ``artifacts/<command>-<UTC timestamp>``, relative to the working directory."""
    moment = now or datetime.now(UTC)
    return Path("artifacts") / f"{command}-{moment.strftime('%Y%m%dT%H%M%SZ')}"
