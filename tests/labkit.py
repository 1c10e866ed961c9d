"""Helpers for tests that drive the real lab: playbook runs, server commands and HTTP calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass
class PlaybookRun:
    """The outcome of one ansible-playbook run."""

    returncode: int
    output: str
    seconds: float

    def recap_changed(self) -> int:
        """Return the sum of ``changed=`` counts in the PLAY RECAP."""
        total = 0
        recap = self.output.split("PLAY RECAP", 1)[-1]
        for token in recap.split():
            if token.startswith("changed="):
                total += int(token.split("=", 1)[1])
        return total


@dataclass
class Lab:
    """A running lab as the tests see it."""

    name: str
    directory: Path
    state: dict
    built: set[str] = field(default_factory=set)

    @property
    def server(self) -> dict:
        return self.state["servers"][0]

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Return the environment for a playbook run against this lab."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPLINE_LAB")}
        env.update(
            SHIPLINE_LAB_DIR=str(self.directory),
            PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
        )
        env.update(extra or {})
        return env

    def playbook(
        self,
        name: str,
        extravars: dict | None = None,
        env: dict[str, str] | None = None,
        inventory: str = "inventories/lab",
        timeout: float = 900,
    ) -> PlaybookRun:
        """Run ``playbooks/<name>.yml`` against the lab and return its result; never raises on failure."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(extravars or {}, handle)
            vars_file = handle.name
        command = [
            str(VENV_BIN / "ansible-playbook"), "-i", inventory, f"playbooks/{name}.yml", "-e", f"@{vars_file}",
        ]
        start = time.monotonic()
        try:
            completed = subprocess.run(
                command, cwd=REPO, env=self.env(env), capture_output=True, text=True, timeout=timeout, check=False
            )
        finally:
            os.unlink(vars_file)
        return PlaybookRun(completed.returncode, completed.stdout + completed.stderr, time.monotonic() - start)

    def build(self, sha: str, fault: str = "") -> None:
        """Build and push the sample app at ``sha`` once per lab, with a backend fault if given."""
        if sha in self.built:
            return
        extravars: dict = {"shipline_sha": sha}
        if fault:
            extravars["shipline_build_extra_args"] = {"backend": {"FAULT": fault}}
        run = self.playbook("build", extravars)
        assert run.returncode == 0, f"build of {sha} failed:\n{run.output[-3000:]}"
        self.built.add(sha)

    def on_server(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command on the staging server as root through docker exec."""
        completed = subprocess.run(
            ["docker", "exec", self.server["container"], *command], capture_output=True, text=True, check=False
        )
        if check and completed.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed on the server: {completed.stderr}")
        return completed

    def load_image(self, local_tag: str, server_tag: str) -> None:
        """Copy an image from this host's engine to the server's engine under ``server_tag``."""
        save = subprocess.Popen(["docker", "save", local_tag], stdout=subprocess.PIPE)
        load = subprocess.run(
            ["docker", "exec", "-i", self.server["container"], "docker", "load", "--quiet"],
            stdin=save.stdout, capture_output=True, text=True, check=False,
        )
        save.wait()
        assert load.returncode == 0, f"docker load on the server failed: {load.stderr}"
        self.on_server("docker", "tag", local_tag, server_tag)

    def http(self, path: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict | str]:
        """Send a request to the app through the server's published port on 127.0.0.1."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.server['http_port']}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback only)
                raw = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read().decode(), error.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def running_images(self, project: str = "classroom-manager-staging") -> dict[str, str]:
        """Return service name -> image reference (as the compose file names it) of running containers."""
        containers = self.on_server(
            "docker", "ps", "--quiet", "--filter", f"label=com.docker.compose.project={project}"
        ).stdout.split()
        if not containers:
            return {}
        listing = self.on_server(
            "docker", "inspect", "--format",
            '{{index .Config.Labels "com.docker.compose.service"}} {{.Config.Image}}', *containers,
        ).stdout
        return dict(line.split(" ", 1) for line in listing.splitlines() if line.strip())


def start_lab(name: str) -> Lab:
    """Bring the lab up (building cached images if needed) and return it."""
    from shipline.lab import lab as lab_api

    state = lab_api.up(name, 1)
    return Lab(name=name, directory=Path(state.directory), state=json.loads((state.path / "lab.json").read_text()))
