"""The lab registry: Docker Distribution behind TLS from the lab CA, with an htpasswd login."""

from __future__ import annotations

import logging
import os
import secrets
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path

import bcrypt

from shipline.lab.docker_cli import docker
from shipline.lab.state import LABEL

log = logging.getLogger(__name__)

SERVER_NAME = "registry.shipline.test"
SERVER_PORT = 5000
USERNAME = "shipline"


def write_credentials(folder: Path) -> None:
    """Create the registry password (0600) and its bcrypt htpasswd entry unless present."""
    password_file = folder / "registry-password"
    if not password_file.exists():
        password_file.touch(mode=0o600)
        password_file.write_text(secrets.token_urlsafe(24) + "\n")
    password = password_file.read_text().strip()
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
    htpasswd = folder / "htpasswd"
    htpasswd.touch(mode=0o644)
    htpasswd.write_text(f"{USERNAME}:{hashed}\n")


def start(lab: str, folder: Path, network: str, image: str) -> tuple[str, int]:
    """Start the registry container unless it runs; return its name and its 127.0.0.1 port."""
    name = f"shipline-{lab}-registry"
    running = docker("container", "inspect", "--format", "{{.State.Running}}", name, check=False)
    if running.returncode != 0 or running.stdout.strip() != "true":
        docker("rm", "-f", name, check=False)
        docker(
            "run", "--detach", "--name", name,
            "--label", f"{LABEL}={lab}",
            "--network", network, "--network-alias", SERVER_NAME,
            "--publish", f"127.0.0.1::{SERVER_PORT}",
            "--restart", "unless-stopped",
            "--volume", f"{folder / 'tls'}:/etc/docker/registry/tls:ro",
            "--volume", f"{folder / 'htpasswd'}:/etc/docker/registry/htpasswd:ro",
            "--mount", f"type=volume,source={name}-data,target=/var/lib/docker-registry,"
                       f"volume-label={LABEL}={lab}",
            image,
        )
    port = int(docker("port", name, f"{SERVER_PORT}/tcp").stdout.splitlines()[0].rsplit(":", 1)[1])
    return name, port


def wait_until_ready(port: int, ca_file: Path, timeout: float = 30.0) -> None:
    """Wait until the registry responds to ``/v2/`` over verified TLS with 401 (login required)."""
    context = ssl.create_default_context(cafile=str(ca_file))
    url = f"https://127.0.0.1:{port}/v2/"
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, context=context, timeout=2)
            last_error = "answered without asking for a login"
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return
            last_error = f"HTTP {error.code}"
        except (urllib.error.URLError, OSError) as error:
            last_error = str(error)
        time.sleep(0.3)
    raise RuntimeError(f"lab registry on 127.0.0.1:{port} not ready within {timeout:.0f} s: {last_error}")


def login(docker_config: Path, address: str, password_file: Path) -> None:
    """Log the host's docker CLI in to the registry, keeping credentials in ``docker_config``."""
    docker_config.mkdir(mode=0o700, exist_ok=True)
    docker(
        "login", "--username", USERNAME, "--password-stdin", address,
        input_bytes=password_file.read_bytes().strip(),
        env={**os.environ, "DOCKER_CONFIG": str(docker_config)},
    )


def push(docker_config: Path, local_tag: str, remote: str) -> None:
    """Tag a local image as ``remote`` and push it with the lab's login."""
    docker("tag", local_tag, remote)
    docker("push", "--quiet", remote, env={**os.environ, "DOCKER_CONFIG": str(docker_config)}, timeout=900)
