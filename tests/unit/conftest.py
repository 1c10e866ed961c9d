"""Fixtures for the launcher's unit tests: clean environment, CLI runner, HTTP receiver, project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from launcher_support import (
    AMBIENT_VARIABLES,
    FAKE_PROJECT_FILES,
    REPO_ROOT,
    SECRETS,
    STAGING_GROUP_VARS,
    write_inventory,
)

from tests.webhooks import WebhookReceiver
from tests.webhooks import webhook_receiver as receive_webhooks


@pytest.fixture
def clean_env() -> dict[str, str]:
    """The test process environment without CI variables, plus the stand-in secrets."""
    env = {key: value for key, value in os.environ.items() if key not in AMBIENT_VARIABLES}
    env.update(SECRETS)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@dataclass
class CliResult:
    """Exit code and captured output of one ``python -m shipline`` run."""

    returncode: int
    stdout: str
    stderr: str
    artifacts_dir: Path

    @property
    def report(self) -> dict[str, object]:
        """The report.json the run wrote."""
        return json.loads((self.artifacts_dir / "report.json").read_text(encoding="utf-8"))


@pytest.fixture
def run_cli(tmp_path: Path, clean_env: dict[str, str]) -> Callable[..., CliResult]:
    """Return a function that runs the real entry point in a subprocess from the repo root."""
    counter = {"runs": 0}

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> CliResult:
        counter["runs"] += 1
        artifacts_dir = tmp_path / f"artifacts-{counter['runs']}"
        completed = subprocess.run(
            [sys.executable, "-m", "shipline", *args, "--artifacts-dir", str(artifacts_dir)],
            cwd=REPO_ROOT,
            env=env if env is not None else clean_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return CliResult(completed.returncode, completed.stdout, completed.stderr, artifacts_dir)

    return run


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on 127.0.0.1 that records every POST and responds with ``status``."""
    with receive_webhooks() as receiver:
        yield receiver


@pytest.fixture
def fake_project(tmp_path: Path) -> Path:
    """Write the stand-in project and a local-connection staging inventory; return the project dir."""
    project = tmp_path / "project"
    for relative, content in FAKE_PROJECT_FILES.items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    write_inventory(
        project / "inventory" / "staging",
        {"web1": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
        STAGING_GROUP_VARS,
    )
    return project
