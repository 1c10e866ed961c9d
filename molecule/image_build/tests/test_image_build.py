"""Verify what the image_build role pushed: both tags, one digest, the build arguments in the labels."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SCENARIO_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "vars.yml").read_text())
REPOSITORY = f"{SCENARIO_VARS['molecule_build_namespace']}/{SCENARIO_VARS['molecule_build_image']}"
RELEASE_TAG = SCENARIO_VARS["molecule_build_tag"]
LATEST_TAG = SCENARIO_VARS["molecule_build_latest_tag"]


@pytest.fixture(scope="module")
def pushed_labels(registry) -> dict[str, str]:
    """The labels of the image the registry stores under the release tag."""
    return registry.image_config(REPOSITORY, RELEASE_TAG)["config"].get("Labels") or {}


def test_release_tag_is_in_the_registry(registry_digest) -> None:
    assert registry_digest(REPOSITORY, RELEASE_TAG).startswith("sha256:")


def test_moving_tag_points_at_the_release(registry_digest) -> None:
    assert registry_digest(REPOSITORY, LATEST_TAG) == registry_digest(REPOSITORY, RELEASE_TAG)


def test_app_version_build_argument_is_the_sha(pushed_labels) -> None:
    assert pushed_labels.get("org.opencontainers.image.revision") == SCENARIO_VARS["molecule_build_sha"]


def test_extra_build_arguments_reach_the_build(pushed_labels) -> None:
    assert pushed_labels.get("dev.shipline.molecule.marker") == SCENARIO_VARS["molecule_build_marker"]


def test_local_image_is_the_pushed_one(controller, lab_state, registry_digest) -> None:
    local = f"{lab_state.registry_host_address}/{REPOSITORY}:{RELEASE_TAG}"
    repo_digests = controller.check_output(f"docker image inspect --format '{{{{json .RepoDigests}}}}' {local}")
    expected = f"{lab_state.registry_host_address}/{REPOSITORY}@{registry_digest(REPOSITORY, RELEASE_TAG)}"
    assert expected in repo_digests, f"{local} has digests {repo_digests}, expected {expected}"
