"""Make sure a Docker engine responds, installing and starting dockerd when none does."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)

DOCKERD_LOG = Path("/var/log/shipline-dockerd.log")
APT_PACKAGES = ("docker.io", "debootstrap")


class EngineUnavailable(RuntimeError):
    """No Docker engine could be reached or started."""


def engine_responds() -> bool:
    """Return whether ``docker info`` reaches a running engine."""
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, check=False)
    return probe.returncode == 0


def install_packages(packages: tuple[str, ...] = APT_PACKAGES) -> None:
    """Install the Debian packages the lab needs when any of them is missing."""
    # A host with its own Docker engine (Docker CE on a GitHub runner) keeps it.
    wanted = [p for p in packages if not (p == "docker.io" and shutil.which("dockerd"))]
    missing = [p for p in wanted if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return
    if os.geteuid() != 0:
        raise EngineUnavailable(f"packages {', '.join(missing)} are missing; install them as root with apt-get")
    log.info("installing %s with apt-get", ", ".join(missing))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True, env=env, capture_output=True)


def ensure_engine(timeout: float = 60.0) -> None:
    """Start dockerd in the background when no engine responds, and wait until one does.

    Raises EngineUnavailable with the tail of the dockerd log when it does not come up
    within ``timeout`` seconds.
    """
    install_packages()
    if engine_responds():
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise EngineUnavailable("dockerd is not installed; run: apt-get install docker.io")
    log.info("no Docker engine responds; starting %s (log: %s)", dockerd, DOCKERD_LOG)
    with DOCKERD_LOG.open("ab") as out:
        subprocess.Popen([dockerd], stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine_responds():
            log.info("Docker engine is up")
            return
        time.sleep(0.5)
    tail = DOCKERD_LOG.read_text(errors="replace").splitlines()[-10:]
    raise EngineUnavailable(f"dockerd did not respond within {timeout:.0f} s; last log lines:\n" + "\n".join(tail))
