"""Ansible filters: find a release's images among `docker image inspect` results and pin them by digest."""

from __future__ import annotations

import re

DOCUMENTATION = r"""
---
name: image_deploy_missing, image_deploy_pinned
short_description: Match a release's image references against the images a Docker host has
description:
  - Both filters take the release's images (service name to image reference, a tag or
    C(repo@sha256:...)) and a list of C(docker image inspect) results, such as the C(images)
    of M(community.docker.docker_image_info) or the C(image) of M(community.docker.docker_image_pull).
  - References are compared in Docker's familiar form, so C(docker.io/library/postgres:17)
    matches the C(postgres:17) that Docker reports, and a reference without a tag means C(:latest).
  - C(image_deploy_missing) returns the services whose image is not among the results.
  - C(image_deploy_pinned) returns service name to C(repo@sha256:...). A digest reference is
    kept as given. A tag resolves to the registry digest that Docker recorded when it pulled
    the image, as Docker spells it in C(RepoDigests), or to an empty string when the image was
    built on the host and never pulled.
"""

EXAMPLES = r"""
- name: Pull the release images that the server lacks
  community.docker.docker_image_pull:
    name: "{{ images[item] }}"
  loop: "{{ images | image_deploy_missing(present.images) }}"

- name: Pin each image to its registry digest
  ansible.builtin.set_fact:
    digests: "{{ images | image_deploy_pinned(present.images) }}"
"""

RETURN = r"""
image_deploy_missing:
  description: Service names whose image the inspect results do not contain, in the input's order.
  type: list
  elements: str
image_deploy_pinned:
  description: Service name to C(repo@sha256:...), or to an empty string when no registry digest is known.
  type: dict
"""

# Docker Hub's registry and its "library/" namespace, which Docker leaves out of the names
# it reports. The "library/" part is only dropped from a reference that names no other registry.
_HUB_PREFIX = re.compile(r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)/)?(?:library/)?")
_DIGEST = "@sha256:"


def familiar(reference: str) -> str:
    """Return ``reference`` as Docker reports it: without Docker Hub's prefixes, with ``:latest`` if untagged."""
    name = _HUB_PREFIX.sub("", reference, count=1)
    last_component = name.rsplit("/", 1)[-1]
    if _DIGEST not in name and ":" not in last_component:
        name += ":latest"
    return name


def repository(reference: str) -> str:
    """Return the familiar repository of ``reference``, without its tag or digest."""
    name = familiar(reference)
    if _DIGEST in name:
        return name.split(_DIGEST, 1)[0]
    return name.rsplit(":", 1)[0]


def _find(reference: str, inspected: list[dict]) -> dict | None:
    wanted = familiar(reference)
    field = "RepoDigests" if _DIGEST in reference else "RepoTags"
    for image in inspected:
        if wanted in {familiar(name) for name in image.get(field) or []}:
            return image
    return None


def image_deploy_missing(images: dict[str, str], inspected: list[dict]) -> list[str]:
    """Return the services whose image is not among ``inspected``."""
    return [service for service, reference in images.items() if _find(reference, inspected or []) is None]


def image_deploy_pinned(images: dict[str, str], inspected: list[dict]) -> dict[str, str]:
    """Return service name to ``repo@sha256:...``, or to "" when the image has no registry digest."""
    pinned = {}
    for service, reference in images.items():
        if _DIGEST in reference:
            pinned[service] = reference
            continue
        image = _find(reference, inspected or []) or {}
        wanted = repository(reference)
        digests = [name for name in image.get("RepoDigests") or [] if repository(name) == wanted]
        pinned[service] = digests[0] if digests else ""
    return pinned


class FilterModule:
    """The image_deploy role's filters."""

    def filters(self) -> dict:
        return {"image_deploy_missing": image_deploy_missing, "image_deploy_pinned": image_deploy_pinned}
