"""The benchmark's view of a lab: its servers, the app settings from the inventory, and server commands."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.labkit import REPO, Lab

log = logging.getLogger(__name__)

VENV_BIN = Path(sys.executable).parent
INVENTORY = "inventories/lab"

# The app settings the runner reads from the inventory, so that it never restates them.
_SETTINGS_EXPRESSION = (
    '{"project": shipline_project_name, "app_dir": shipline_app_dir, "environment": shipline_environment,'
    ' "deploy_user": shipline_deploy_user, "deploy_key": shipline_deploy_private_key_file,'
    ' "health_path": shipline_health_url | urlsplit("path")}'
)


@dataclass(frozen=True)
class AppSettings:
    """The app's names on a server, as the lab inventory resolves them."""

    project: str
    app_dir: str
    environment: str
    deploy_user: str
    deploy_key: str
    health_path: str

    def release_dir(self, sha: str) -> str:
        return f"{self.app_dir}/releases/{sha}"


def read_settings(lab: Lab, host: str) -> AppSettings:
    """Resolve the app's settings for ``host`` with an ad hoc ``debug`` call (no connection is made)."""
    completed = subprocess.run(
        [
            str(VENV_BIN / "ansible"),
            "-i",
            INVENTORY,
            host,
            "-m",
            "ansible.builtin.debug",
            "-a",
            f"msg={{{{ {_SETTINGS_EXPRESSION} }}}}",
        ],
        cwd=REPO,
        env=lab.env({"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"reading the app settings from {INVENTORY} failed: {completed.stderr or completed.stdout}")
    message = json.loads(completed.stdout)["plays"][0]["tasks"][0]["hosts"][host]["msg"]
    return AppSettings(**message)


def on_server(container: str, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command as root on a lab server through docker exec."""
    completed = subprocess.run(["docker", "exec", container, *command], capture_output=True, text=True, check=False)
    if check and completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed on {container}: {completed.stderr.strip()}")
    return completed


def remove_release_images(container: str, tag: str) -> list[str]:
    """Remove every image tagged ``tag`` from a server, so that the next deploy of it pulls again.

    Layers that other images share stay, as they would on a server that ran the previous
    release. Fails when a container still uses one of the images.
    """
    listing = on_server(container, "docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout
    references = [line for line in listing.split() if line.endswith(f":{tag}")]
    if references:
        on_server(container, "docker", "image", "rm", *references)
    return references


def server_docker_version(container: str) -> str:
    """Return the Docker Engine and Compose versions on a server."""
    engine = on_server(container, "docker", "version", "--format", "{{.Server.Version}}").stdout.strip()
    compose = on_server(container, "docker", "compose", "version", "--short").stdout.strip()
    return f"Engine {engine}, Compose {compose}"


def ssh_command(lab: Lab, server: dict, settings: AppSettings, remote_command: str) -> list[str]:
    """Return an ssh command line that runs ``remote_command`` on a lab server as the deploy user.

    It opens its own connection (no ControlMaster), as a person or a script would.
    """
    return [
        "ssh",
        "-p",
        str(server["ssh_port"]),
        "-i",
        settings.deploy_key,
        "-o",
        f"UserKnownHostsFile={lab.directory / 'known_hosts'}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "ControlMaster=no",
        "-o",
        "ControlPath=none",
        f"{settings.deploy_user}@127.0.0.1",
        remote_command,
    ]
