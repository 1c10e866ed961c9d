"""Bring a lab up, report on it and take it down, touching only what carries its label."""

from __future__ import annotations

import logging
import secrets
import shutil
from pathlib import Path

from shipline.lab import dockerd, images, pki, registry, servers
from shipline.lab.containers import privileged_works
from shipline.lab.docker_cli import docker, ids
from shipline.lab.state import LABEL, LabState, lab_dir

log = logging.getLogger(__name__)

# Support images the sample app needs beside its own, pushed to the lab registry under
# these repository names so that servers pull them like any other image.
SUPPORT_IMAGES = {"postgres": "shipline-lab/postgres", "redis": "shipline-lab/redis"}


def write_secret(path: Path) -> None:
    """Write a random secret to ``path`` with mode 0600 unless the file exists."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24) + "\n")


def up(
    name: str = "default",
    server_count: int = 1,
    *,
    push_support_images: bool = True,
    server_image: str | None = None,
) -> LabState:
    """Start dockerd if needed, build cached images, and start the registry and servers.

    ``push_support_images=False`` skips pushing the PostgreSQL and Redis images, which
    only a deploy of the sample app needs (their push takes most of a fresh lab's start).
    ``server_image`` replaces the bare server image, for example with a snapshot from
    ``shipline.lab.snapshots``. Running it again on a running lab changes nothing but
    adds missing servers.
    """
    dockerd.ensure_engine()
    tags = images.ensure_all()
    folder = lab_dir(name)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    pki.write_ca_and_server_cert(folder / "tls", [registry.SERVER_NAME, "localhost"], ["127.0.0.1"])
    registry.write_credentials(folder)
    write_secret(folder / "postgres-password")
    admin_key = pki.write_ssh_keypair(folder / "admin_ed25519", f"shipline-lab-{name}-admin")
    pki.write_ssh_keypair(folder / "deploy_ed25519", f"shipline-lab-{name}-deploy")

    network = f"shipline-{name}"
    if docker("network", "inspect", network, check=False).returncode != 0:
        docker("network", "create", "--label", f"{LABEL}={name}", network)

    registry_container, registry_port = registry.start(name, folder, network, tags["registry"])
    registry.wait_until_ready(registry_port, folder / "tls" / "ca.crt")
    host_address = f"127.0.0.1:{registry_port}"
    registry.login(folder / "docker-config", host_address, folder / "registry-password")
    pushed = {}
    support_images = SUPPORT_IMAGES if push_support_images else {}
    for image_name, repository in support_images.items():
        registry.push(folder / "docker-config", tags[image_name], f"{host_address}/{repository}:trixie")
        pushed[image_name] = f"{registry.SERVER_NAME}:{registry.SERVER_PORT}/{repository}:trixie"

    privileged = privileged_works(tags["base"])
    server_states = [
        servers.start(name, f"staging-{index}", network, server_image or tags["server"], privileged, admin_key)
        for index in range(1, server_count + 1)
    ]
    servers.write_known_hosts(
        folder / "known_hosts", [servers.scan_host_key(server.ssh_port) for server in server_states]
    )
    state = LabState(
        name=name,
        directory=str(folder),
        network=network,
        privileged=privileged,
        registry_container=registry_container,
        registry_host_address=host_address,
        registry_server_address=f"{registry.SERVER_NAME}:{registry.SERVER_PORT}",
        registry_username=registry.USERNAME,
        images={"backend_base": tags["python-app"], "frontend_base": tags["nginx"], **pushed},
        servers=server_states,
    )
    state.save()
    log.info("lab %s is up: registry %s, %d server(s)", name, host_address, len(server_states))
    return state


def status(name: str = "default") -> tuple[LabState | None, dict[str, str]]:
    """Return the saved state (None when the lab was never brought up) and each container's status."""
    folder = lab_dir(name)
    try:
        state = LabState.load(folder)
    except FileNotFoundError:
        state = None
    listing = docker(
        "ps", "--all", "--filter", f"label={LABEL}={name}", "--format", "{{.Names}}\t{{.Status}}", check=False
    ).stdout
    containers = dict(line.split("\t", 1) for line in listing.splitlines() if "\t" in line)
    return state, containers


def down(name: str = "default") -> list[str]:
    """Remove the containers, volumes and networks labelled for this lab, and its state folder.

    Cached images stay: they are keyed by recipe and shared by every lab.
    """
    removed: list[str] = []
    label = f"label={LABEL}={name}"
    containers = ids("ps", "--all", "--quiet", "--filter", label)
    if containers:
        docker("rm", "--force", "--volumes", *containers)
        removed += [f"container {c}" for c in containers]
    for volume in ids("volume", "ls", "--quiet", "--filter", label):
        docker("volume", "rm", "--force", volume)
        removed.append(f"volume {volume}")
    for network in ids("network", "ls", "--quiet", "--filter", label):
        docker("network", "rm", network)
        removed.append(f"network {network}")
    folder = lab_dir(name)
    if (folder / "lab.json").exists() or folder.name == name:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def state_for(name: str) -> LabState:
    """Load the state of a running lab, or raise with the command that starts it."""
    folder: Path = lab_dir(name)
    try:
        return LabState.load(folder)
    except FileNotFoundError:
        message = f"lab {name!r} is not up (no {folder}/lab.json); run: shipline lab up --name {name}"
        raise RuntimeError(message) from None
