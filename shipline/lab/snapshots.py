"""Server snapshots: lab server images with a provisioning run already applied.

Provisioning a bare lab server spends most of its time in apt. A test that needs a
provisioned server, but does not test provisioning itself, can start from a snapshot:
a ``docker commit`` of a server right after provisioning. Its tag carries a hash of the
bare server image's key and of every file that shapes provisioning, so a changed role
or playbook makes a new snapshot and an unchanged one is reused.

A snapshot keeps everything the provisioning run wrote, including that lab's deploy key
and registry CA. It fits a later lab as it is only when that lab has the same keys and
CA (the Molecule scenarios share them for this reason); otherwise provisioning again on
top of it is quick, because the packages are installed, and replaces those files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from shipline.lab import images
from shipline.lab.docker_cli import docker

log = logging.getLogger(__name__)

# Run on the committed image, so that every server started from a snapshot makes its
# own SSH host keys at boot, as the bare server recipe does.
_STRIP_HOST_KEYS = "ARG SNAPSHOT\nFROM ${SNAPSHOT}\nRUN rm -f /etc/ssh/ssh_host_*\n"


def snapshot_key(inputs: Iterable[Path]) -> str:
    """Return a hash of the bare server image's key and of the files under ``inputs``.

    ``inputs`` are files or folders. Paths enter the hash relative to their input, so
    the key does not depend on where the repository is checked out.
    """
    digest = hashlib.sha256()
    digest.update(f"server={images.recipe_key('server')}\n".encode())
    for root in sorted(Path(item) for item in inputs):
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        digest.update(f"input={root.name}\n".encode())
        for path in files:
            digest.update(str(path.relative_to(root) if root.is_dir() else path.name).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def snapshot_tag(name: str, inputs: Iterable[Path]) -> str:
    """Return the local tag of a snapshot, e.g. ``shipline-lab/server-provisioned:3f2a...``."""
    return f"shipline-lab/server-{name}:{snapshot_key(inputs)}"


def save(container: str, tag: str) -> None:
    """Commit a running server container as ``tag``, without its SSH host keys.

    The commit pauses the container for a moment. Docker's data root and ``/run`` are
    a volume and a tmpfs in lab servers, so neither enters the snapshot.
    """
    key = tag.rsplit(":", 1)[1]
    committed = f"{tag}-commit"
    log.info("saving server %s as snapshot %s", container, tag)
    # Downloaded packages (about 180 MB after provisioning Debian 13) would enter every snapshot and are
    # never read again.
    docker("exec", container, "apt-get", "clean")
    docker("commit", "--change", f"LABEL {images.RECIPE_LABEL}={key}", container, committed, timeout=900)
    try:
        with tempfile.TemporaryDirectory(prefix="shipline-snapshot-") as context:
            (Path(context) / "Dockerfile").write_text(_STRIP_HOST_KEYS)
            docker(
                "build", "--quiet", "--build-arg", f"SNAPSHOT={committed}", "--tag", tag, context,
                env={**os.environ, "DOCKER_BUILDKIT": "0"}, timeout=900,
            )
    finally:
        docker("rmi", committed, check=False)
    _remove_older(tag)


def _remove_older(tag: str) -> None:
    """Untag the other snapshots of the same name: they were made from inputs that changed.

    A snapshot that a container still runs on keeps its tag, because ``docker rmi``
    refuses to remove it.
    """
    repository = tag.rsplit(":", 1)[0]
    listed = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", repository).stdout.split()
    for older in listed:
        if older != tag:
            docker("rmi", older, check=False)
