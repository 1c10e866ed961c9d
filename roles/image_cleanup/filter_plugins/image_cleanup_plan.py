"""Jinja2 filter that decides which of a project's images can be removed from a Docker host."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
---
name: image_cleanup_plan
short_description: Decide which of this environment's images to remove from a Docker host
description:
  - Looks only at images that carry a reference this environment deployed (O(own_references)), so an
    image no release history of this environment names is never a candidate.
  - Keeps an image that any container uses, in any state, or that carries a reference in
    O(protected_references), the kept releases of every environment on the host.
  - An image whose references are all this environment's is removed by its id. An image that also
    carries another name (another project tagged it) keeps that name and the image, and only this
    environment's tags are removed from it.
  - C(docker.io/) and C(docker.io/library/) prefixes are ignored when comparing references, as Docker
    drops them when it lists images.
positional: _input, containers, own_references, protected_references
options:
  _input:
    description: The host's images, as C(community.docker.docker_host_info) lists them with C(verbose_output).
    type: list
    elements: dict
    required: true
  containers:
    description: Every container on the host, in any state, with C(ImageID) (C(verbose_output)).
    type: list
    elements: dict
    required: true
  own_references:
    description: Image references and C(repo@sha256:...) digests in this environment's release history.
    type: list
    elements: str
    required: true
  protected_references:
    description: Image references and digests of every kept release of every environment on the host.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Plan the cleanup
  ansible.builtin.set_fact:
    plan: "{{ host.images | image_cleanup_plan(host.containers, own, protected) }}"
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    remove:
      description: Image ids and tags to pass to C(community.docker.docker_image_remove), in order.
      type: list
      elements: str
    keep:
      description: This environment's images that stay, each with C(id), C(names) and C(reason).
      type: list
      elements: dict
"""

NO_NAME = ("<none>:<none>", "<none>@<none>")


def normalize(reference: str) -> str:
    """Return ``reference`` as Docker lists it: without the docker.io/ and library/ prefixes."""
    if reference.startswith("docker.io/"):
        reference = reference[len("docker.io/") :]
        if reference.startswith("library/"):
            reference = reference[len("library/") :]
    return reference


def names_of(image: dict[str, Any]) -> list[str]:
    """Return every tag and digest reference of ``image``."""
    names = list(image.get("RepoTags") or []) + list(image.get("RepoDigests") or [])
    return [normalize(name) for name in names if name not in NO_NAME]


def image_cleanup_plan(
    images: Any, containers: Any, own_references: Any, protected_references: Any
) -> dict[str, list[Any]]:
    """Return the references to remove and this environment's images that stay, with the reason."""
    for name, value in (
        ("images", images),
        ("containers", containers),
        ("own_references", own_references),
        ("protected_references", protected_references),
    ):
        if not isinstance(value, list):
            raise AnsibleFilterError(f"image_cleanup_plan: {name} must be a list, got {type(value).__name__}")

    own = {normalize(reference) for reference in own_references}
    protected = {normalize(reference) for reference in protected_references}
    used = {container.get("ImageID") for container in containers}
    if None in used:
        raise AnsibleFilterError("image_cleanup_plan: a container has no ImageID; list them with verbose_output")

    remove: list[str] = []
    keep: list[dict[str, Any]] = []
    for image in images:
        names = names_of(image)
        ours = [name for name in names if name in own]
        if not ours:
            continue
        reason = ""
        if image["Id"] in used:
            reason = "a container uses it"
        elif any(name in protected for name in names):
            reason = "a kept release uses it"
        if reason:
            keep.append({"id": image["Id"], "names": names, "reason": reason})
            continue
        # Docker drops a repository's digest references together with its last tag, so
        # they belong to whoever owns the tags of that repository.
        own_repositories = {name.rsplit(":", 1)[0] for name in ours if "@" not in name}
        others = [
            name
            for name in names
            if name not in own and not ("@" in name and name.split("@", 1)[0] in own_repositories)
        ]
        if not others:
            remove.append(image["Id"])
            continue
        # Untagging only this environment's tags leaves the image to the other names.
        remove.extend(name for name in ours if "@" not in name)
        keep.append({"id": image["Id"], "names": others, "reason": "another name refers to it"})
    return {"remove": remove, "keep": keep}


class FilterModule:
    """The image cleanup filter."""

    def filters(self) -> dict[str, Any]:
        return {"image_cleanup_plan": image_cleanup_plan}
