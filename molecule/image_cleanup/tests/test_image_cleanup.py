"""Verify what the image_cleanup role removed and what it left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SCENARIO_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars.yml").read_text())
OWN = SCENARIO_VARS["molecule_cleanup_own"]


def image_exists(host, reference: str) -> bool:
    return host.run(f"docker image inspect {reference}").rc == 0


def container_exists(host, name: str) -> bool:
    return host.run(f"docker container inspect {name}").rc == 0


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        (f"{OWN}:staging-kept", "a kept release needs it"),
        (f"{OWN}:staging-running", "a running container uses it"),
        ("molecule/other-app:1", "another project names the same image"),
        ("molecule/unrelated:1", "no release history of this environment names it"),
    ],
)
def test_image_is_kept(host, reference: str, reason: str) -> None:
    assert image_exists(host, reference), f"{reference} was removed although {reason}"


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        (f"{OWN}:staging-old", "only the project's stopped container used it"),
        (f"{OWN}:staging-shared", "the tag is this environment's, though the image stays under another name"),
    ],
)
def test_image_tag_is_removed(host, reference: str, reason: str) -> None:
    assert not image_exists(host, reference), f"{reference} is still there although {reason}"


def test_projects_stopped_container_is_removed(host) -> None:
    assert not container_exists(host, "molecule-stopped")


def test_projects_running_container_stays(host) -> None:
    assert host.check_output("docker inspect --format '{{.State.Status}}' molecule-running") == "running"


def test_other_projects_stopped_container_stays(host) -> None:
    assert container_exists(host, "molecule-other-stopped")
