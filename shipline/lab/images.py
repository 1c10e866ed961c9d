"""Lab images built from Debian packages only, and cached by a hash of their recipe.

The root image comes from ``debootstrap`` and ``docker import``, because no registry
can be pulled from here. Every other image is a Dockerfile under ``recipes/<name>`` built
on its parent. An image's tag is the first 12 hex digits of a SHA-256 over the suite,
the mirror-independent recipe files and the parent's key, so a changed recipe builds
a new image and an unchanged one is reused.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shipline.lab.docker_cli import docker

log = logging.getLogger(__name__)

RECIPES = Path(__file__).parent / "recipes"
SUITE = "trixie"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
RECIPE_LABEL = "dev.shipline.lab.recipe"


@dataclass(frozen=True)
class Recipe:
    """One lab image: its recipe folder and the recipe it builds on (None for the root)."""

    name: str
    parent: str | None


# Order matters: a parent comes before its children.
RECIPE_LIST = (
    Recipe("base", None),
    Recipe("server", "base"),
    Recipe("python-app", "base"),
    Recipe("nginx", "base"),
    Recipe("postgres", "base"),
    Recipe("redis", "base"),
    Recipe("registry", "base"),
)
RECIPE_BY_NAME = {recipe.name: recipe for recipe in RECIPE_LIST}


def apt_mirror() -> str:
    """Return the Debian mirror apt on this machine uses, or SHIPLINE_LAB_MIRROR when set."""
    override = os.environ.get("SHIPLINE_LAB_MIRROR")
    if override:
        return override
    candidates = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in candidates:
        try:
            text = path.read_text()
        except OSError:
            continue
        for match in re.finditer(r"(?:^URIs:\s*|^deb\s+(?:\[[^]]*\]\s+)?)(\S+)", text, re.MULTILINE):
            uri = match.group(1)
            if uri.startswith(("http://", "https://")) and uri.rstrip("/").endswith("/debian"):
                return uri.rstrip("/")
    return DEFAULT_MIRROR


def recipe_key(name: str) -> str:
    """Return the cache key of a recipe: a hash of its files, its suite and its parent's key."""
    recipe = RECIPE_BY_NAME[name]
    digest = hashlib.sha256()
    digest.update(f"suite={SUITE}\n".encode())
    if recipe.parent:
        digest.update(f"parent={recipe_key(recipe.parent)}\n".encode())
    folder = RECIPES / name
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
        digest.update(oct(path.stat().st_mode & 0o111).encode())
    return digest.hexdigest()[:12]


def image_tag(name: str) -> str:
    """Return the local tag of a lab image, e.g. ``shipline-lab/server:3f2a...``."""
    return f"shipline-lab/{name}:{recipe_key(name)}"


def image_exists(tag: str) -> bool:
    """Return whether the local engine has an image with this tag."""
    return docker("image", "inspect", tag, check=False).returncode == 0


def _build_root(tag: str, key: str) -> None:
    packages = [
        line.strip()
        for line in (RECIPES / "base" / "packages.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    mirror = apt_mirror()
    log.info("debootstrap %s from %s into a temporary folder (about a minute)", SUITE, mirror)
    with tempfile.TemporaryDirectory(prefix="shipline-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(packages)}", SUITE, str(rootfs), mirror],
            check=True,
            capture_output=True,
        )
        (rootfs / "etc/apt/sources.list").write_text(f"deb {mirror} {SUITE} main\n")
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / cache).glob("*"):
                if item.is_file():
                    item.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        docker(
            "import",
            "--change",
            f"LABEL {RECIPE_LABEL}={key}",
            "--change",
            'CMD ["/bin/bash"]',
            "-",
            tag,
            input_bytes=tar.stdout.read(),
        )
        if tar.wait() != 0:
            raise RuntimeError(f"tar of {rootfs} failed with exit {tar.returncode}")


def _build_child(recipe: Recipe, tag: str, key: str) -> None:
    assert recipe.parent is not None
    log.info("building lab image %s", tag)
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    docker(
        "build",
        "--quiet",
        "--build-arg",
        f"BASE={image_tag(recipe.parent)}",
        "--label",
        f"{RECIPE_LABEL}={key}",
        "--tag",
        tag,
        str(RECIPES / recipe.name),
        env=env,
        timeout=1800,
    )


def ensure_image(name: str) -> str:
    """Build a lab image and its parents unless cached, and return its tag."""
    recipe = RECIPE_BY_NAME[name]
    if recipe.parent:
        ensure_image(recipe.parent)
    tag = image_tag(name)
    if image_exists(tag):
        return tag
    key = recipe_key(name)
    if recipe.parent is None:
        _build_root(tag, key)
    else:
        _build_child(recipe, tag, key)
    return tag


def ensure_all() -> dict[str, str]:
    """Build every lab image that is not cached, and return name -> tag."""
    return {recipe.name: ensure_image(recipe.name) for recipe in RECIPE_LIST}
