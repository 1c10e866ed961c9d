"""Input validation tables: commit ids, image repositories, env names, labels and URLs."""

from __future__ import annotations

import pytest

from shipline import validation
from shipline.validation import InputError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abcdef1", "abcdef1"),
        ("ABCDEF1", "abcdef1"),
        ("0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567"),
        ("DeadBeef00", "deadbeef00"),
    ],
)
def test_sha_accepted(value, expected):
    assert validation.normalize_sha(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc123", "has 6 hex digits, expected 7 to 40"),
        ("0" * 41, "has 41 hex digits, expected 7 to 40"),
        ("", "has 0 hex digits"),
        ("abcdefg", "not hexadecimal digits: 'g'"),
        ("abc 1234", "not hexadecimal digits: ' '"),
        ("abcdef1\n", "not hexadecimal digits: '\\n'"),
        ("main", "not hexadecimal digits"),
        ("v1.2.3-abc", "not hexadecimal digits"),
        ("abcdef1; rm -rf /", "not hexadecimal digits"),
    ],
)
def test_sha_rejected(value, message):
    with pytest.raises(InputError) as raised:
        validation.normalize_sha(value)
    assert message in str(raised.value)
    assert "--sha" in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ghcr.io/acme/app", "ghcr.io/acme/app"),
        ("ghcr.io/Acme/Classroom-Manager", "ghcr.io/acme/classroom-manager"),
        ("localhost:5000/app", "localhost:5000/app"),
        ("127.0.0.1:5443/acme/app", "127.0.0.1:5443/acme/app"),
        ("registry.example.com/team/sub/app_name", "registry.example.com/team/sub/app_name"),
        ("acme/app", "acme/app"),
        ("app", "app"),
        ("ghcr.io/acme/a__b", "ghcr.io/acme/a__b"),
        ("ghcr.io/acme/a---b", "ghcr.io/acme/a---b"),
        ("[::1]:5000/app", "[::1]:5000/app"),
    ],
)
def test_repository_accepted(value, expected):
    assert validation.normalize_image_repository(value) == expected


@pytest.mark.parametrize(
    ("value", "part"),
    [
        ("ghcr.io/acme/my app", "path component 'my app'"),
        ("ghcr.io/acme/app:latest", "contains a tag"),
        ("ghcr.io/acme/app@sha256:abc", "contains a digest"),
        ("ghcr.io//app", "path component (empty)"),
        ("ghcr.io/acme/app/", "path component (empty)"),
        ("ghcr.io/acme/-app", "path component '-app'"),
        ("ghcr.io/acme/app.", "path component 'app.'"),
        ("ghcr.io/acme/a___b", "path component 'a___b'"),
        ("ghcr.io/acme/a._b", "path component 'a._b'"),
        ("-bad.io/acme/app", "registry host '-bad.io'"),
        ("ghcr.io:port/acme/app", "registry host 'ghcr.io:port'"),
        ("", "is empty"),
        ("ghcr.io/" + "a" * 250, "the maximum is 255"),
    ],
)
def test_repository_rejected(value, part):
    with pytest.raises(InputError) as raised:
        validation.normalize_image_repository(value)
    assert part in str(raised.value)


def test_default_repository_from_github():
    environ = {"GITHUB_REPOSITORY": "Acme/Classroom-Manager"}

    assert validation.default_image_repository(environ) == "ghcr.io/acme/classroom-manager"
    assert validation.default_image_repository(environ, "registry.example:5000") == (
        "registry.example:5000/acme/classroom-manager"
    )


def test_default_repository_requires_github_env():
    with pytest.raises(InputError, match="GITHUB_REPOSITORY is not set"):
        validation.default_image_repository({})


@pytest.mark.parametrize("registry", ["bad host", "registry", "-x.io"])
def test_default_repository_validates_registry(registry):
    with pytest.raises(InputError, match=f"--registry '{registry}' is not a registry host"):
        validation.default_image_repository({"GITHUB_REPOSITORY": "a/b"}, registry)


@pytest.mark.parametrize("name", ["STAGING_SSH_KEY", "_PRIVATE", "a1"])
def test_env_name_accepted(name):
    assert validation.validate_env_name(name, "key", "file.yml") == name


@pytest.mark.parametrize("name", ["1ABC", "WITH-DASH", "", "A B", None, 5, "{{ x }}"])
def test_env_name_rejected(name):
    with pytest.raises(InputError, match=r"key in file\.yml contains"):
        validation.validate_env_name(name, "key", "file.yml")


@pytest.mark.parametrize("names", ["STAGING_SSH_KEY", 5, None])
def test_env_names_must_be_list(names):
    with pytest.raises(InputError, match="must be a list"):
        validation.validate_env_names(names, "shipline_required_env", "all.yml")


def test_missing_env_lists_unset_and_blank_in_order():
    environ = {"A": "value", "B": "", "C": "   ", "E": "x"}

    assert validation.missing_env(["A", "B", "C", "D", "E", "B"], environ) == ["B", "C", "D"]


@pytest.mark.parametrize("value", ["", "   ", "a\nb", "tab\there", "x" * 201])
def test_deployed_by_rejected(value):
    with pytest.raises(InputError, match="--deployed-by"):
        validation.validate_deployed_by(value)


@pytest.mark.parametrize("value", ["ftp://ci/1", "not a url", "/relative", "https://ci/run 1"])
def test_ci_run_url_rejected(value):
    with pytest.raises(InputError, match="--ci-run-url"):
        validation.validate_ci_run_url(value)


def test_lock_timeout_rejects_negative():
    with pytest.raises(InputError, match="--lock-timeout -1"):
        validation.validate_lock_timeout(-1)
