"""Input checks that run before any playbook: commit ids, image names, env names, labels.

Every check raises InputError with one line that names the invalid value and the fix,
and the CLI turns it into exit code 2. No check ever puts a secret value in a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

SHA_PATTERN = re.compile(r"[0-9a-f]{7,40}")

# Docker reference grammar (distribution/reference), for repository names without a tag.
PATH_COMPONENT_PATTERN = re.compile(r"[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*")
DOMAIN_COMPONENT = r"(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])"
HOST_PATTERN = re.compile(rf"(?:{DOMAIN_COMPONENT}(?:\.{DOMAIN_COMPONENT})*|\[[a-f0-9:]+\])(?::[0-9]+)?")
REPOSITORY_MAX_LENGTH = 255

ENV_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEPLOYED_BY_MAX_LENGTH = 200
DEFAULT_REGISTRY = "ghcr.io"


class InputError(ValueError):
    """An input value failed validation. The message is one line: the value and the fix."""


def _shown(value: str, limit: int = 80) -> str:
    """Quote a user-supplied, non-secret value for an error message, cut to ``limit``."""
    if len(value) > limit:
        value = value[:limit] + "..."
    return repr(value)


def normalize_sha(value: str, option: str = "--sha") -> str:
    """Return ``value`` lower-cased if it is a git commit id of 7 to 40 hex digits.

    Raises InputError naming the option and what is wrong with the value.
    """
    lowered = value.lower()
    if SHA_PATTERN.fullmatch(lowered):
        return lowered

    non_hex = sorted({char for char in lowered if char not in "0123456789abcdef"})
    if non_hex:
        problem = "contains characters that are not hexadecimal digits: " + " ".join(
            repr(char) for char in non_hex
        )
    else:
        problem = f"has {len(lowered)} hex digits, expected 7 to 40"
    raise InputError(
        f"{option} {_shown(value)} is invalid: it {problem}. "
        "Pass a git commit id, for example the output of `git rev-parse HEAD`."
    )


def _split_domain(name: str) -> tuple[str | None, str]:
    """Split a repository name into (registry host or None, path), as Docker does.

    The first component is a registry host when it contains '.' or ':' or is
    'localhost'; otherwise the whole name is a path on the default registry.
    """
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, name


def normalize_image_repository(value: str, option: str = "--image-repository") -> str:
    """Return ``value`` lower-cased if it is a valid image repository name without a tag.

    Registries accept only lower-case repository paths, so the name is lower-cased first.
    It is then checked against the Docker reference grammar: ``[host[:port]/]path``, where
    path components are lower-case letters and digits joined by '.', '_', '__' or dashes.
    The whole name has at most 255 characters. Raises InputError naming the offending part.
    """
    name = value.lower()
    if not name:
        raise InputError(f"{option} is empty. Pass a name such as ghcr.io/owner/app.")
    if len(name) > REPOSITORY_MAX_LENGTH:
        raise InputError(
            f"{option} {_shown(value)} is invalid: it has {len(name)} characters, "
            f"the maximum is {REPOSITORY_MAX_LENGTH}."
        )
    if "@" in name:
        raise InputError(
            f"{option} {_shown(value)} is invalid: it contains a digest ('@...'). "
            "Pass the repository alone; Shipline tags the images itself."
        )

    host, path = _split_domain(name)
    if host is not None and not HOST_PATTERN.fullmatch(host):
        raise InputError(
            f"{option} {_shown(value)} is invalid: registry host {_shown(host)} is not a "
            "host name with an optional :port. Fix the registry part (or --registry)."
        )

    for component in path.split("/"):
        if ":" in component:
            raise InputError(
                f"{option} {_shown(value)} is invalid: path component {_shown(component)} "
                "contains a tag (':'). Pass the repository without a tag; "
                "Shipline tags the images itself."
            )
        if not PATH_COMPONENT_PATTERN.fullmatch(component):
            shown_component = "(empty)" if not component else _shown(component)
            raise InputError(
                f"{option} {_shown(value)} is invalid: path component {shown_component} "
                "must be lower-case letters and digits, optionally joined by '.', '_', "
                "'__' or '-'. Fix or remove that part."
            )
    return name


def default_image_repository(environ: Mapping[str, str], registry: str | None = None) -> str:
    """Derive ``<registry>/<owner>/<repo>`` from GITHUB_REPOSITORY, lower-cased.

    ``registry`` defaults to ghcr.io. Raises InputError when GITHUB_REPOSITORY is unset,
    because then there is nothing to derive the name from, or when ``registry`` is not a
    host that Docker would read as one.
    """
    github_repository = environ.get("GITHUB_REPOSITORY", "")
    if not github_repository:
        raise InputError(
            "--image-repository is required because GITHUB_REPOSITORY is not set. "
            "Pass --image-repository REGISTRY/OWNER/NAME."
        )
    host = (registry or DEFAULT_REGISTRY).lower()
    if not HOST_PATTERN.fullmatch(host) or _split_domain(f"{host}/x")[0] is None:
        raise InputError(
            f"--registry {_shown(host)} is not a registry host. Pass a host name with a dot or "
            "a port, such as ghcr.io or localhost:5000 (Docker reads anything else as a path)."
        )
    return normalize_image_repository(
        f"{host}/{github_repository}", option="image repository derived from GITHUB_REPOSITORY"
    )


def validate_env_names(names: object, setting: str, source: str) -> list[str]:
    """Return ``names`` as a list of environment variable names, or raise InputError.

    ``setting`` and ``source`` (the inventory key and file) appear in the error so the
    operator knows where to fix it.
    """
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise InputError(
            f"{setting} in {source} must be a list of environment variable names, "
            f"found {type(names).__name__}."
        )
    validated: list[str] = []
    for name in names:
        validated.append(validate_env_name(name, setting, source))
    return validated


def validate_env_name(name: object, setting: str, source: str) -> str:
    """Return ``name`` if it is a valid environment variable name, or raise InputError."""
    if not isinstance(name, str) or not ENV_NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"{setting} in {source} contains {name!r}, which is not an environment "
            "variable name (letters, digits and '_', not starting with a digit)."
        )
    return name


def missing_env(names: Iterable[str], environ: Mapping[str, str]) -> list[str]:
    """Return the names from ``names`` that are unset or empty in ``environ``, in order."""
    missing: list[str] = []
    for name in names:
        if not environ.get(name, "").strip() and name not in missing:
            missing.append(name)
    return missing


def validate_deployed_by(value: str) -> str:
    """Return ``value`` if it is a usable one-line label for the deploy record."""
    if not value.strip():
        raise InputError("--deployed-by is empty. Pass a name, for example 'alice'.")
    if len(value) > DEPLOYED_BY_MAX_LENGTH:
        raise InputError(
            f"--deployed-by has {len(value)} characters, the maximum is {DEPLOYED_BY_MAX_LENGTH}."
        )
    if any(not char.isprintable() for char in value):
        raise InputError(
            f"--deployed-by {_shown(value)} contains a line break or control character. Pass a single line."
        )
    return value


def validate_ci_run_url(value: str) -> str:
    """Return ``value`` if it is an absolute http(s) URL without whitespace."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--ci-run-url {_shown(value)} is invalid: expected an absolute http(s) URL.")
    if any(char.isspace() or not char.isprintable() for char in value):
        raise InputError(f"--ci-run-url {_shown(value)} contains whitespace or a control character.")
    return value


def validate_lock_timeout(seconds: int) -> int:
    """Return ``seconds`` if it is a usable deploy-lock wait time."""
    if seconds < 0:
        raise InputError(f"--lock-timeout {seconds} is invalid: pass 0 or more seconds.")
    return seconds
