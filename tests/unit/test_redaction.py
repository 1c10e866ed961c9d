"""Masking secret values in text, report data and ansible-runner artifact files."""

from __future__ import annotations

import json

import pytest

from shipline.redaction import MASK, Redactor, is_secret_name

KEY_LINE = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE"
KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_LINE}\n-----END OPENSSH PRIVATE KEY-----\n"
ENVIRON = {
    "STAGING_SSH_KEY": KEY,
    "STAGING_POSTGRES_PASSWORD": "pg-secret-value",
    "GITHUB_TOKEN": "ghs_tokenvalue123",
    "STAGING_USER": "deploy",
    "SHIPLINE_SSH_KEY_FILE": "/run/shipline-secrets-x/ssh_key",
    "SHORT_PASSWORD": "abc",
}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("STAGING_POSTGRES_PASSWORD", True),
        ("GITHUB_TOKEN", True),
        ("SHIPLINE_WEBHOOK_URL", True),
        ("STAGING_SSH_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("STAGING_USER", False),
        ("STAGING_HOST", False),
        ("SHIPLINE_SSH_KEY_FILE", False),
        ("SSH_AUTH_SOCK", False),
    ],
)
def test_secret_names(name, secret):
    assert is_secret_name(name) is secret


def test_redact_masks_values_and_key_lines():
    redactor = Redactor(["STAGING_SSH_KEY"], ENVIRON)
    text = f"password pg-secret-value, token ghs_tokenvalue123, user deploy, key line {KEY_LINE}"

    redacted = redactor.redact(text)

    assert redacted == f"password {MASK}, token {MASK}, user deploy, key line {MASK}"


def test_redact_masks_json_escaped_key():
    redactor = Redactor(["STAGING_SSH_KEY"], ENVIRON)

    assert KEY not in redactor.redact(json.dumps({"env": KEY}))
    assert json.dumps(KEY)[1:-1] not in redactor.redact(json.dumps({"env": KEY}))


def test_short_values_not_masked_in_text():
    redactor = Redactor([], ENVIRON)

    assert redactor.redact("abc def") == "abc def"


def test_redact_data_walks_nested_values():
    redactor = Redactor([], ENVIRON)
    data = {"hosts": [{"message": "login with ghs_tokenvalue123 failed"}], "count": 3}

    assert redactor.redact_data(data) == {"hosts": [{"message": f"login with {MASK} failed"}], "count": 3}


def test_scrub_tree_masks_command_env_and_files(tmp_path):
    artifacts = tmp_path / "artifacts" / "deploy"
    (artifacts / "job_events").mkdir(parents=True)
    command = {"command": ["ansible-playbook"], "env": dict(ENVIRON, PATH="/usr/bin")}
    (artifacts / "command").write_text(json.dumps(command))
    (artifacts / "stdout").write_text("TASK ok: pg-secret-value\n")
    (artifacts / "job_events" / "1.json").write_text(json.dumps({"stdout": KEY}))
    (artifacts / "binary").write_bytes(b"\xff\xfe\x00pg-secret-value")
    redactor = Redactor(["STAGING_SSH_KEY"], ENVIRON)

    redactor.scrub_tree(tmp_path)

    env = json.loads((artifacts / "command").read_text())["env"]
    assert env["STAGING_SSH_KEY"] == MASK
    assert env["SHORT_PASSWORD"] == MASK
    assert env["STAGING_USER"] == "deploy"
    assert env["PATH"] == "/usr/bin"
    assert (artifacts / "stdout").read_text() == f"TASK ok: {MASK}\n"
    assert KEY_LINE not in (artifacts / "job_events" / "1.json").read_text()
