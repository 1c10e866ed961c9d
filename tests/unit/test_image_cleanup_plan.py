"""Tests of the image_cleanup_plan filter: only this environment's unused, unkept images go."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

FILTER_PATH = Path(__file__).resolve().parents[2] / "roles/image_cleanup/filter_plugins/image_cleanup_plan.py"
spec = importlib.util.spec_from_file_location("image_cleanup_plan", FILTER_PATH)
cleanup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cleanup)
plan = cleanup.image_cleanup_plan

OLD_TAG = "reg/app/backend:staging-1111111"
OLD_DIGEST = "reg/app/backend@sha256:" + "1" * 64
NEW_TAG = "reg/app/backend:staging-2222222"
NEW_DIGEST = "reg/app/backend@sha256:" + "2" * 64
OWN = [OLD_TAG, OLD_DIGEST, NEW_TAG, NEW_DIGEST]


def image(image_id: str, tags: list[str], digests: list[str]) -> dict:
    return {"Id": image_id, "RepoTags": tags, "RepoDigests": digests}


OLD = image("sha256:old", [OLD_TAG], [OLD_DIGEST])
NEW = image("sha256:new", [NEW_TAG], [NEW_DIGEST])


def test_unkept_unused_image_is_removed_by_id() -> None:
    result = plan([OLD, NEW], [], OWN, [NEW_TAG, NEW_DIGEST])
    assert result["remove"] == ["sha256:old"]


def test_image_of_kept_release_stays() -> None:
    result = plan([OLD, NEW], [], OWN, [OLD_DIGEST, NEW_DIGEST])
    assert result["remove"] == []
    assert {entry["reason"] for entry in result["keep"]} == {"a kept release uses it"}


def test_image_used_by_stopped_container_stays() -> None:
    result = plan([OLD], [{"ImageID": "sha256:old", "State": "exited"}], OWN, [])
    assert result["remove"] == []
    assert result["keep"][0]["reason"] == "a container uses it"


def test_image_of_other_project_is_never_a_candidate() -> None:
    other = image("sha256:other", ["unrelated/keep:1"], [])
    result = plan([other], [], OWN, [])
    assert result == {"remove": [], "keep": []}


def test_image_named_by_other_project_keeps_image() -> None:
    shared = image("sha256:old", [OLD_TAG, "unrelated/keep:1"], [OLD_DIGEST])
    result = plan([shared], [], OWN, [])
    assert result["remove"] == [OLD_TAG]
    assert result["keep"][0]["names"] == ["unrelated/keep:1"]


def test_image_tagged_by_other_environment_keeps_tag() -> None:
    shared = image("sha256:old", [OLD_TAG, "reg/app/backend:production-1111111"], [OLD_DIGEST])
    result = plan([shared], [], [OLD_TAG], [])
    assert result["remove"] == [OLD_TAG]


def test_docker_hub_prefixes_are_ignored() -> None:
    postgres = image("sha256:pg", ["postgres:16"], ["postgres@sha256:" + "3" * 64])
    result = plan([postgres], [], ["docker.io/library/postgres:16"], ["docker.io/library/postgres:17"])
    assert result["remove"] == ["sha256:pg"]


def test_container_without_image_id_is_rejected() -> None:
    with pytest.raises(AnsibleFilterError, match="ImageID"):
        plan([OLD], [{"Id": "abc"}], OWN, [])
