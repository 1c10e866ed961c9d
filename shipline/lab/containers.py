"""Docker run flags for lab containers that boot systemd and run Docker inside them."""

from __future__ import annotations

import functools
import logging
import os

from shipline.lab.docker_cli import docker

log = logging.getLogger(__name__)

# Flags for engines that reject --privileged, for example in a sandbox whose bounding set
# lacks CAP_SYS_RESOURCE. They give systemd and a nested dockerd everything else they need.
UNPRIVILEGED_SYSTEMD_FLAGS = (
    "--cap-add", "ALL",
    "--cap-drop", "SYS_RESOURCE",
    "--security-opt", "seccomp=unconfined",
    "--security-opt", "apparmor=unconfined",
    "--security-opt", "systempaths=unconfined",
)
COMMON_SYSTEMD_FLAGS = (
    "--cgroupns=host",
    "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run",
    "--tmpfs", "/run/lock",
)


@functools.cache
def privileged_works(probe_image: str) -> bool:
    """Return whether ``docker run --privileged`` works on this engine.

    SHIPLINE_LAB_PRIVILEGED=yes or no skips the probe.
    """
    setting = os.environ.get("SHIPLINE_LAB_PRIVILEGED", "auto").lower()
    if setting in {"yes", "no"}:
        return setting == "yes"
    probe = docker("run", "--rm", "--privileged", "--label", "dev.shipline.lab.probe=1", probe_image, "true",
                   check=False)
    if probe.returncode != 0:
        log.info("--privileged was rejected (%s); granting explicit capabilities instead",
                 probe.stderr.strip().splitlines()[0] if probe.stderr.strip() else "no message")
    return probe.returncode == 0


def systemd_flags(privileged: bool) -> list[str]:
    """Return the ``docker run`` flags for a systemd container that runs Docker inside."""
    mode = ["--privileged"] if privileged else list(UNPRIVILEGED_SYSTEMD_FLAGS)
    return [*mode, *COMMON_SYSTEMD_FLAGS]
