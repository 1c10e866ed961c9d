"""Verify what the image_deploy role left running: the release pinned by the registry's digest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

SCENARIO_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars.yml").read_text())
REPOSITORY = SCENARIO_VARS["molecule_image_repository"]
RELEASE_TAG = SCENARIO_VARS["molecule_image_release_tag"]
UNRELATED_PROJECT = SCENARIO_VARS["molecule_unrelated_project"]
PROJECT = "classroom-manager-staging"


def containers(host, project: str) -> dict[str, dict]:
    """Return service name -> ``docker inspect`` of the project's containers, running or not."""
    ids = host.check_output(f"docker ps --all --quiet --filter label=com.docker.compose.project={project}").split()
    if not ids:
        return {}
    inspected = json.loads(host.check_output(f"docker inspect {' '.join(ids)}"))
    return {item["Config"]["Labels"]["com.docker.compose.service"]: item for item in inspected}


@pytest.fixture(scope="module")
def release(host) -> dict[str, dict]:
    return containers(host, PROJECT)


@pytest.fixture(scope="module")
def pinned_reference(lab_state, registry_digest) -> str:
    """The release image as the server must run it: repository@digest, the digest from the registry."""
    return f"{lab_state.registry_server_address}/{REPOSITORY}@{registry_digest(REPOSITORY, RELEASE_TAG)}"


def test_release_service_runs(release) -> None:
    assert "web" in release, f"no container of service web in project {PROJECT}: {sorted(release)}"
    assert release["web"]["State"]["Running"], f"web is {release['web']['State']['Status']}"


def test_release_runs_the_registry_digest(release, pinned_reference) -> None:
    assert release["web"]["Config"]["Image"] == pinned_reference


def test_pulled_image_carries_the_registry_digest(host, lab_state, pinned_reference) -> None:
    tagged = f"{lab_state.registry_server_address}/{REPOSITORY}:{RELEASE_TAG}"
    repo_digests = json.loads(host.check_output(f"docker image inspect --format '{{{{json .RepoDigests}}}}' {tagged}"))
    assert pinned_reference in repo_digests, f"{tagged} has digests {repo_digests}, expected {pinned_reference}"


def test_release_container_uses_the_pulled_image(host, release, lab_state) -> None:
    tagged = f"{lab_state.registry_server_address}/{REPOSITORY}:{RELEASE_TAG}"
    image_id = host.check_output(f"docker image inspect --format '{{{{.Id}}}}' {tagged}")
    assert release["web"]["Image"] == image_id


def test_orphan_of_the_project_is_removed(release) -> None:
    assert "retired" not in release, "the orphaned container of the release's project still exists"


def test_other_project_keeps_running(host) -> None:
    unrelated = containers(host, UNRELATED_PROJECT)
    assert "keep" in unrelated, f"the container of project {UNRELATED_PROJECT} was removed"
    assert unrelated["keep"]["State"]["Running"], f"the container of project {UNRELATED_PROJECT} is not running"


def test_deploy_user_is_logged_in_to_the_registry(host, lab_state) -> None:
    config = json.loads(host.file("/home/deploy/.docker/config.json").content_string)
    assert lab_state.registry_server_address in config.get("auths", {}), "no stored login for the lab registry"
