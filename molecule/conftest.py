"""Testinfra fixtures for the Molecule scenarios: the scenario's lab server, reached over SSH.

Molecule runs each scenario's ``tests/test_*.py`` with pytest from the scenario folder,
with SHIPLINE_LAB_NAME set to the scenario's lab (see .config/molecule/config.yml). The
fixtures connect the way Ansible does: SSH to 127.0.0.1 on the server's published port,
with the lab's keys and its known_hosts, and strict host key checking.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shipline.lab.state import LabState, lab_dir

DEPLOY_USER = "deploy"
ADMIN_USER = "admin"
CONTROL_DIR = Path.home() / ".ansible" / "cp"
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


@dataclass
class SshAttempt:
    """The outcome of one ``ssh`` login attempt from this host."""

    returncode: int
    stderr: str

    def offered_methods(self) -> set[str]:
        """Return the methods sshd offered in its "Permission denied (...)" line, or an empty set."""
        for line in self.stderr.splitlines():
            if "Permission denied (" in line:
                return set(line.split("(", 1)[1].split(")", 1)[0].split(","))
        return set()


@pytest.fixture(scope="session")
def lab_state() -> LabState:
    """The state of the scenario's running lab."""
    name = os.environ.get("SHIPLINE_LAB_NAME")
    if not name:
        pytest.fail("SHIPLINE_LAB_NAME is not set; run these tests through molecule, or set it to a running lab")
    return LabState.load(lab_dir(name))


def _ssh_options(state: LabState) -> str:
    return f"-o UserKnownHostsFile={state.path / 'known_hosts'} -o StrictHostKeyChecking=yes -o BatchMode=yes"


def _server_host(state: LabState, user: str, key: str, sudo: bool) -> testinfra.host.Host:
    server = state.servers[0]
    CONTROL_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    return testinfra.get_host(
        f"ssh://{user}@127.0.0.1:{server.ssh_port}",
        ssh_identity_file=str(state.path / key),
        # One SSH connection for all of a user's commands, as Ansible's ControlPersist does.
        # The socket lives in Ansible's short control folder: a Unix socket path may not
        # exceed 108 bytes, and the lab folder's path is already long.
        ssh_extra_args=f"{_ssh_options(state)} -o ControlMaster=auto -o ControlPersist=60s "
        f"-o ControlPath={CONTROL_DIR}/testinfra-%C",
        sudo=sudo,
    )


@pytest.fixture(scope="session")
def host(lab_state: LabState) -> testinfra.host.Host:
    """The scenario's server as the provider's admin account, with every command run through sudo."""
    return _server_host(lab_state, ADMIN_USER, "admin_ed25519", sudo=True)


@pytest.fixture(scope="session")
def deploy_host(lab_state: LabState) -> testinfra.host.Host:
    """The scenario's server as the deploy user, logged in with the deploy key."""
    return _server_host(lab_state, DEPLOY_USER, "deploy_ed25519", sudo=False)


@pytest.fixture(scope="session")
def ssh_attempt(lab_state: LabState):
    """Return a function that tries one SSH login and returns its exit code and stderr."""

    def attempt(user: str, *options: str, key: str | None = None) -> SshAttempt:
        command = ["ssh", *_ssh_options(lab_state).split(), "-o", "ConnectTimeout=10", "-o", "ControlMaster=no"]
        command += ["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]
        if key:
            command += ["-i", str(lab_state.path / key)]
        command += [*options, "-p", str(lab_state.servers[0].ssh_port), f"{user}@127.0.0.1", "true"]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        return SshAttempt(completed.returncode, completed.stderr)

    return attempt


class LabRegistry:
    """The scenario's lab registry, reached on its published port over TLS checked against the lab CA.

    Requests carry the lab login, so what they return is the registry's own record and
    not what some Docker engine cached.
    """

    def __init__(self, state: LabState) -> None:
        self.address = state.registry_host_address
        self.context = ssl.create_default_context(cafile=str(state.path / "tls" / "ca.crt"))
        password = (state.path / "registry-password").read_text().strip()
        self.authorization = "Basic " + base64.b64encode(f"{state.registry_username}:{password}".encode()).decode()

    def _request(self, path: str, method: str = "GET") -> tuple[dict[str, str], bytes]:
        request = urllib.request.Request(
            f"https://{self.address}/v2/{path}",
            method=method,
            headers={"Authorization": self.authorization, "Accept": ", ".join(MANIFEST_TYPES)},
        )
        with urllib.request.urlopen(request, context=self.context, timeout=10) as response:  # noqa: S310 (lab)
            return dict(response.headers), response.read()

    def digest(self, repository: str, tag: str) -> str:
        """Return the manifest digest the registry serves for ``repository:tag``."""
        headers, _ = self._request(f"{repository}/manifests/{tag}", method="HEAD")
        return headers["Docker-Content-Digest"]

    def image_config(self, repository: str, tag: str) -> dict:
        """Return the image configuration (labels, environment, ...) the registry stores for ``repository:tag``."""
        _, manifest = self._request(f"{repository}/manifests/{tag}")
        config_digest = json.loads(manifest)["config"]["digest"]
        _, config = self._request(f"{repository}/blobs/{config_digest}")
        return json.loads(config)


@pytest.fixture(scope="session")
def registry(lab_state: LabState) -> LabRegistry:
    """The scenario's lab registry."""
    return LabRegistry(lab_state)


@pytest.fixture(scope="session")
def registry_digest(registry: LabRegistry):
    """Return a function that returns the registry's manifest digest of ``repository:tag``."""
    return registry.digest


@pytest.fixture(scope="session")
def controller() -> testinfra.host.Host:
    """This machine, where roles that run on the controller (image_build, preflight) act."""
    return testinfra.get_host("local://")


@pytest.fixture(scope="session")
def ephemeral_directory() -> Path:
    """Molecule's folder for this scenario's run, where converge plays leave records for verify."""
    folder = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if not folder:
        pytest.fail("MOLECULE_EPHEMERAL_DIRECTORY is not set; run these tests through molecule")
    return Path(folder)


@pytest.fixture(scope="session")
def recorded_result(ephemeral_directory: Path):
    """Return a function that loads ``<name>.json``, a result that a scenario playbook recorded.

    converge.yml or side_effect.yml writes such results into Molecule's ephemeral folder.
    """

    def load(name: str) -> dict:
        path = ephemeral_directory / f"{name}.json"
        assert path.exists(), f"{path} is missing: the converge or side_effect step did not record {name}"
        return json.loads(path.read_text())

    return load
