#!/usr/bin/env python3
"""Create and destroy the lab behind one Molecule scenario, through the lab's own Python API.

Molecule's create, prepare and destroy playbooks call this script on the controller. So
Molecule instances are ordinary lab servers, with the same image and container flags as
the lab and the e2e tests, reached over SSH on 127.0.0.1 as production servers are.
Every command prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from shipline.lab import images, lab, pki, registry, snapshots  # noqa: E402
from shipline.lab.docker_cli import docker  # noqa: E402
from shipline.lab.state import LabState, default_root, lab_dir  # noqa: E402

log = logging.getLogger("lab_instance")

# Key material every Molecule lab starts with: the lab CA with the registry's certificate,
# and the admin and deploy SSH keys. A provisioned server trusts that CA and authorises
# that deploy key, so a snapshot of it fits every later Molecule lab as it is.
KEYRING = default_root().parent / "molecule-keyring"
KEYRING_FILES = (
    "tls/ca.crt", "tls/registry.crt", "tls/registry.key",
    "admin_ed25519", "admin_ed25519.pub", "deploy_ed25519", "deploy_ed25519.pub",
)
# Everything that shapes a provisioned server. A change to any of these makes a new
# "provisioned" snapshot; see shipline/lab/snapshots.py.
PROVISIONING_INPUTS = (
    REPO / "roles" / "bootstrap",
    REPO / "playbooks" / "provision.yml",
    REPO / "inventories" / "lab" / "group_vars",
    KEYRING / "tls" / "ca.crt",
    KEYRING / "deploy_ed25519.pub",
)
PROVISIONED = "provisioned"
STUB_IMAGE_CONTEXT = REPO / "molecule" / "shared" / "stub-image"
# Files this helper writes into the lab's state folder: what the server started from,
# for prepare, and the host-engine image references pushed, one per line, for `down`.
INSTANCE_FILE = "molecule-instance.json"
PUSHED_FILE = "molecule-pushed-images"


def ensure_keyring() -> None:
    """Create the Molecule keyring unless it exists.

    Two scenarios creating it at once could each write half of it, so
    scripts/molecule-all.sh creates it before it starts scenarios side by side.
    """
    pki.write_ca_and_server_cert(KEYRING / "tls", [registry.SERVER_NAME, "localhost"], ["127.0.0.1"])
    pki.write_ssh_keypair(KEYRING / "admin_ed25519", "shipline-molecule-admin")
    pki.write_ssh_keypair(KEYRING / "deploy_ed25519", "shipline-molecule-deploy")


def seed_lab_folder(name: str) -> None:
    """Copy the Molecule keyring into the lab's state folder, making the keyring first if needed.

    ``lab.up`` keeps key files that exist, so the lab then uses the keyring's.
    """
    ensure_keyring()
    folder = lab_dir(name)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for relative in KEYRING_FILES:
        target = folder / relative
        if not target.exists():
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copy2(KEYRING / relative, target)


def provisioned_tag() -> str:
    """Return the tag of the provisioned-server snapshot for the current provisioning inputs."""
    return snapshots.snapshot_tag(PROVISIONED, PROVISIONING_INPUTS)


def command_up(args: argparse.Namespace) -> dict:
    """Start the scenario's lab, from the provisioned snapshot when asked and cached."""
    seed_lab_folder(args.lab)
    server_image = None
    if args.server == PROVISIONED:
        tag = provisioned_tag()
        if images.image_exists(tag):
            server_image = tag
        else:
            log.info("no snapshot %s yet: starting from the bare server; prepare saves it", tag)
    state = lab.up(
        args.lab,
        0 if args.server == "none" else 1,
        push_support_images=args.support_images,
        server_image=server_image,
    )
    instance = {"server_image": server_image or images.image_tag("server"), "from_snapshot": server_image is not None}
    (state.path / INSTANCE_FILE).write_text(json.dumps(instance) + "\n")
    return {"lab_dir": state.directory, **instance}


def command_save_snapshot(args: argparse.Namespace) -> dict:
    """Save the lab's only server as the provisioned snapshot unless one is cached."""
    tag = provisioned_tag()
    if images.image_exists(tag):
        return {"snapshot": tag, "saved": False}
    state = LabState.load(lab_dir(args.lab))
    snapshots.save(state.servers[0].container, tag)
    return {"snapshot": tag, "saved": True}


def command_push(args: argparse.Namespace) -> dict:
    """Build the health stub image for one tag, push it to the scenario's registry, return its digest."""
    state = LabState.load(lab_dir(args.lab))
    remote = f"{state.registry_host_address}/{args.repository}:{args.tag}"
    # Recorded first, so that `down` removes the tag even when the push fails.
    with (state.path / PUSHED_FILE).open("a") as pushed:
        pushed.write(remote + "\n")
    docker(
        "build", "--quiet",
        "--build-arg", f"BASE_IMAGE={images.image_tag('base')}",
        "--build-arg", f"STUB_VERSION={args.version or args.tag}",
        "--tag", remote, str(STUB_IMAGE_CONTEXT),
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    registry.push(state.path / "docker-config", remote, remote)
    repo_digests = json.loads(docker("image", "inspect", "--format", "{{json .RepoDigests}}", remote).stdout)
    prefix = remote.rsplit(":", 1)[0] + "@"
    digest = next(entry.split("@", 1)[1] for entry in repo_digests if entry.startswith(prefix))
    return {
        "reference": f"{state.registry_server_address}/{args.repository}:{args.tag}",
        "digest": digest,
    }


def command_down(args: argparse.Namespace) -> dict:
    """Remove the scenario's lab and the host-engine image tags pushed to its registry."""
    folder = lab_dir(args.lab)
    references: list[str] = []
    try:
        state = LabState.load(folder)
    except FileNotFoundError:
        state = None
    if state is not None:
        references += [
            state.registry_host_address + reference.removeprefix(state.registry_server_address)
            for name, reference in state.images.items()
            if name in lab.SUPPORT_IMAGES
        ]
        pushed = state.path / PUSHED_FILE
        if pushed.exists():
            references += pushed.read_text().split()
        references += [f"{state.registry_host_address}/{reference}" for reference in args.pushed_by_scenario]
    removed_tags = []
    for reference in sorted(set(references)):
        if docker("image", "rm", reference, check=False).returncode == 0:
            removed_tags.append(reference)
    removed = lab.down(args.lab)
    return {"removed": removed, "removed_tags": removed_tags}


def command_keyring(_args: argparse.Namespace) -> dict:
    """Create the Molecule keyring unless it exists, and return its folder."""
    ensure_keyring()
    return {"keyring": str(KEYRING)}


def main() -> int:
    """Parse the command line, run one command and print its result as JSON."""
    logging.basicConfig(level=logging.INFO, format="lab_instance: %(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", help="lab name, molecule-<scenario>; required by every command but keyring")
    commands = parser.add_subparsers(dest="command", required=True)

    keyring = commands.add_parser("keyring", help="create the key material every Molecule lab starts with")
    keyring.set_defaults(func=command_keyring)

    up = commands.add_parser("up", help="start the lab: a registry and at most one server")
    up.add_argument(
        "--server", choices=("bare", PROVISIONED, "none"), default="bare",
        help="server to start: the bare image, the provisioned snapshot when cached, or none",
    )
    up.add_argument(
        "--support-images", action="store_true", help="push the PostgreSQL and Redis images the sample app needs"
    )
    up.set_defaults(func=command_up)

    save = commands.add_parser("save-snapshot", help="save the provisioned server as a snapshot unless cached")
    save.set_defaults(func=command_save_snapshot)

    push = commands.add_parser(
        "push", help="build the health stub image (shared/stub-image) and push it to the lab registry"
    )
    push.add_argument("--repository", required=True, help="repository in the lab registry, e.g. molecule/web")
    push.add_argument("--tag", required=True)
    push.add_argument("--version", default="", help="version the stub reports (default: the tag)")
    push.set_defaults(func=command_push)

    down = commands.add_parser("down", help="remove the lab and the image tags pushed to it from this host")
    down.add_argument(
        "--pushed-by-scenario", nargs="*", default=[], metavar="REPOSITORY:TAG",
        help="more repository:tag references the scenario pushed to the lab registry from this host",
    )
    down.set_defaults(func=command_down)

    args = parser.parse_args()
    if args.command != "keyring" and not args.lab:
        parser.error(f"{args.command} needs --lab, the lab's name")
    print(json.dumps(args.func(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
