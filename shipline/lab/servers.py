"""Lab staging servers: bare Debian hosts in containers, reached over SSH on 127.0.0.1."""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

from shipline.lab.containers import systemd_flags
from shipline.lab.docker_cli import docker
from shipline.lab.state import LABEL, ServerState

log = logging.getLogger(__name__)

ADMIN_USER = "admin"
# The port the deployed app publishes on each server; the lab maps it to 127.0.0.1.
APP_PORT = 8080


def _published_port(container: str, port: int) -> int:
    return int(docker("port", container, f"{port}/tcp").stdout.splitlines()[0].rsplit(":", 1)[1])


def start(lab: str, server: str, network: str, image: str, privileged: bool, admin_key: str) -> ServerState:
    """Start a server container unless it runs, authorise ``admin_key`` for the admin user."""
    container = f"shipline-{lab}-{server}"
    running = docker("container", "inspect", "--format", "{{.State.Running}} {{.Config.Image}}", container, check=False)
    if running.returncode != 0 or running.stdout.split() != ["true", image]:
        docker("rm", "-f", container, check=False)
        docker(
            "run", "--detach", "--name", container, "--hostname", server,
            "--label", f"{LABEL}={lab}",
            "--network", network,
            "--publish", "127.0.0.1::22",
            "--publish", f"127.0.0.1::{APP_PORT}",
            # Docker's data root must not sit on the container's overlay filesystem,
            # because overlayfs cannot be stacked on overlayfs.
            "--mount", f"type=volume,source={container}-docker,target=/var/lib/docker,volume-label={LABEL}={lab}",
            *systemd_flags(privileged),
            image, "/sbin/init",
        )
    docker(
        "exec", "-i", container, "sh", "-c",
        f"install -d -m 0700 -o {ADMIN_USER} -g {ADMIN_USER} /home/{ADMIN_USER}/.ssh && "
        f"cat > /home/{ADMIN_USER}/.ssh/authorized_keys && "
        f"chown {ADMIN_USER}:{ADMIN_USER} /home/{ADMIN_USER}/.ssh/authorized_keys && "
        f"chmod 0600 /home/{ADMIN_USER}/.ssh/authorized_keys",
        input_bytes=(admin_key + "\n").encode(),
    )
    return ServerState(
        name=server,
        container=container,
        ssh_port=_published_port(container, 22),
        http_port=_published_port(container, APP_PORT),
    )


def scan_host_key(port: int, timeout: float = 60.0) -> str:
    """Wait until sshd responds on 127.0.0.1:``port`` and return its known_hosts lines."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        scan = subprocess.run(
            ["ssh-keyscan", "-T", "2", "-t", "ed25519", "-p", str(port), "127.0.0.1"],
            capture_output=True, text=True, check=False,
        )
        lines = [line for line in scan.stdout.splitlines() if line and not line.startswith("#")]
        if lines:
            return "\n".join(lines) + "\n"
        time.sleep(0.5)
    raise RuntimeError(f"sshd on 127.0.0.1:{port} did not respond within {timeout:.0f} s")


def write_known_hosts(path: Path, entries: list[str]) -> None:
    """Write the servers' host keys, so that SSH checks them like any other host's."""
    path.write_text("".join(entries))
