"""Tests of the image_deploy role's filters that find release images among `docker image inspect` results."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PLUGIN_PATH = Path(__file__).resolve().parents[2] / "roles/image_deploy/filter_plugins/image_deploy.py"
spec = importlib.util.spec_from_file_location("image_deploy_filters", PLUGIN_PATH)
filters = importlib.util.module_from_spec(spec)
spec.loader.exec_module(filters)

REGISTRY = "registry.shipline.test:5000"
BACKEND_TAG = f"{REGISTRY}/acme/app/backend:staging-abc1234"
BACKEND_DIGEST = f"{REGISTRY}/acme/app/backend@sha256:{'1' * 64}"
POSTGRES_DIGEST = f"postgres@sha256:{'2' * 64}"

# Inspect results as Docker reports them: Docker Hub images in familiar form.
BACKEND_IMAGE = {"RepoTags": [BACKEND_TAG], "RepoDigests": [BACKEND_DIGEST]}
POSTGRES_IMAGE = {"RepoTags": ["postgres:17"], "RepoDigests": [POSTGRES_DIGEST]}
BUILT_HERE = {"RepoTags": [f"{REGISTRY}/acme/app/frontend:staging-abc1234"], "RepoDigests": []}


def test_missing_lists_services_not_inspected() -> None:
    images = {"backend": BACKEND_TAG, "postgres": "docker.io/library/postgres:17"}
    assert filters.image_deploy_missing(images, [POSTGRES_IMAGE]) == ["backend"]


def test_missing_matches_docker_hub_familiar_names() -> None:
    images = {"postgres": "docker.io/library/postgres:17"}
    assert filters.image_deploy_missing(images, [POSTGRES_IMAGE]) == []


def test_missing_treats_untagged_reference_as_latest() -> None:
    latest = {"RepoTags": ["redis:latest"], "RepoDigests": []}
    assert filters.image_deploy_missing({"redis": "redis"}, [latest]) == []


def test_missing_finds_digest_reference_in_repo_digests() -> None:
    assert filters.image_deploy_missing({"backend": BACKEND_DIGEST}, [BACKEND_IMAGE]) == []


def test_missing_with_no_inspect_results_lists_all() -> None:
    images = {"backend": BACKEND_TAG, "postgres": "postgres:17"}
    assert filters.image_deploy_missing(images, []) == ["backend", "postgres"]


def test_pinned_resolves_tag_to_repo_digest() -> None:
    pinned = filters.image_deploy_pinned({"backend": BACKEND_TAG}, [POSTGRES_IMAGE, BACKEND_IMAGE])
    assert pinned == {"backend": BACKEND_DIGEST}


def test_pinned_resolves_docker_hub_reference() -> None:
    pinned = filters.image_deploy_pinned({"postgres": "docker.io/library/postgres:17"}, [POSTGRES_IMAGE])
    assert pinned == {"postgres": POSTGRES_DIGEST}


def test_pinned_keeps_digest_reference_as_given() -> None:
    assert filters.image_deploy_pinned({"backend": BACKEND_DIGEST}, []) == {"backend": BACKEND_DIGEST}


def test_pinned_is_empty_for_image_built_on_host() -> None:
    frontend = f"{REGISTRY}/acme/app/frontend:staging-abc1234"
    assert filters.image_deploy_pinned({"frontend": frontend}, [BUILT_HERE]) == {"frontend": ""}


def test_pinned_ignores_digest_of_another_repository() -> None:
    retagged = {"RepoTags": [BACKEND_TAG], "RepoDigests": [f"{REGISTRY}/other/backend@sha256:{'3' * 64}"]}
    assert filters.image_deploy_pinned({"backend": BACKEND_TAG}, [retagged]) == {"backend": ""}


def test_pinned_is_empty_for_image_not_inspected() -> None:
    assert filters.image_deploy_pinned({"backend": BACKEND_TAG}, []) == {"backend": ""}


def test_filter_module_registers_both_filters() -> None:
    assert set(filters.FilterModule().filters()) == {"image_deploy_missing", "image_deploy_pinned"}
