"""The real ``python -m shipline`` entry point: input checks, reachability and notifications."""

from __future__ import annotations

import json
from pathlib import Path

from launcher_support import SECRETS, STAGING_GROUP_VARS, closed_port, write_inventory

SHA = "0123456789abcdef0123456789abcdef01234567"
IMAGE = "ghcr.io/acme/classroom-manager"
DEPLOY = ("deploy", "--sha", SHA, "--image-repository", IMAGE)


def _unreachable_inventory(tmp_path: Path) -> tuple[Path, int]:
    port = closed_port()
    inventory = write_inventory(
        tmp_path / "inventories" / "staging",
        {"staging-1": {"ansible_host": "127.0.0.1", "ansible_port": port}},
        STAGING_GROUP_VARS,
    )
    return inventory, port


def _assert_no_secret(text: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"the value of {name} leaked"
        for line in value.splitlines():
            if len(line) > 20:
                assert line not in text, f"a line of {name} leaked"


def test_missing_ssh_key_exits_2_naming_it(run_cli, clean_env, tmp_path, fake_project):
    inventory, _ = _unreachable_inventory(tmp_path)
    env = dict(clean_env, SHIPLINE_PROJECT_DIR=str(fake_project))
    del env["STAGING_SSH_KEY"]

    result = run_cli(*DEPLOY, "--inventory", str(inventory), env=env)

    assert result.returncode == 2
    assert "STAGING_SSH_KEY" in result.stderr
    assert "STAGING_POSTGRES_PASSWORD" not in result.stderr
    _assert_no_secret(result.stdout + result.stderr)
    assert result.report["exit_code"] == 2
    assert result.report["outcome"] == "invalid_input"


def test_empty_secret_counts_as_missing(run_cli, clean_env, tmp_path, fake_project):
    inventory, _ = _unreachable_inventory(tmp_path)
    env = dict(clean_env, SHIPLINE_PROJECT_DIR=str(fake_project), STAGING_POSTGRES_PASSWORD="  ")  # noqa: S106 - blank on purpose
    del env["STAGING_KNOWN_HOSTS"]

    result = run_cli("rollback", "--inventory", str(inventory), env=env)

    assert result.returncode == 2
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert len(error_lines) == 1
    assert "STAGING_KNOWN_HOSTS, STAGING_POSTGRES_PASSWORD" in error_lines[0]


def test_non_hex_sha_exits_2(run_cli, tmp_path):
    inventory, _ = _unreachable_inventory(tmp_path)

    result = run_cli("deploy", "--inventory", str(inventory), "--sha", "12345zz", "--image-repository", IMAGE)

    assert result.returncode == 2
    assert "--sha '12345zz' is invalid" in result.stderr
    assert "'z'" in result.stderr


def test_repository_with_space_exits_2(run_cli, tmp_path):
    inventory, _ = _unreachable_inventory(tmp_path)

    result = run_cli(
        "deploy", "--inventory", str(inventory), "--sha", SHA, "--image-repository", "ghcr.io/acme/my app"
    )

    assert result.returncode == 2
    assert "path component 'my app'" in result.stderr


def test_missing_repository_without_github_env_exits_2(run_cli, tmp_path):
    inventory, _ = _unreachable_inventory(tmp_path)

    result = run_cli("build", "--inventory", str(inventory), "--sha", SHA)

    assert result.returncode == 2
    assert "GITHUB_REPOSITORY is not set" in result.stderr


def test_usage_error_exits_2(run_cli):
    result = run_cli("status", "--no-such-option")

    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_help_lists_exit_codes(run_cli):
    result = run_cli("--help")

    assert result.returncode == 0
    for line in ("0  succeeded", "3  deploy failed and the rollback failed too", "5  deploy lock held"):
        assert line in result.stdout


def test_unreachable_host_exits_4_with_one_line(run_cli, clean_env, tmp_path, fake_project):
    inventory, port = _unreachable_inventory(tmp_path)
    env = dict(clean_env, SHIPLINE_PROJECT_DIR=str(fake_project))

    result = run_cli(*DEPLOY, "--inventory", str(inventory), env=env)

    assert result.returncode == 4
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert len(error_lines) == 1
    assert f"cannot reach host staging-1 at 127.0.0.1:{port}: connection refused" in error_lines[0]
    assert result.report["exit_code"] == 4
    assert result.report["hosts"][0]["outcome"] == "unreachable"
    assert not (result.artifacts_dir / "runner").exists()


def test_unreachable_deploy_notifies_once(run_cli, clean_env, tmp_path, fake_project, webhook_receiver):
    inventory, _ = _unreachable_inventory(tmp_path)
    env = dict(
        clean_env,
        SHIPLINE_PROJECT_DIR=str(fake_project),
        SHIPLINE_WEBHOOK_URL=webhook_receiver.url(),
        GITHUB_SERVER_URL="https://github.example",
        GITHUB_REPOSITORY="Acme/Classroom",
        GITHUB_RUN_ID="4242",
    )

    result = run_cli("deploy", "--inventory", str(inventory), "--sha", SHA, env=env)

    assert result.returncode == 4
    assert len(webhook_receiver.bodies()) == 1
    text = json.loads(webhook_receiver.bodies()[0])["text"]
    assert SHA in text
    assert "staging" in text
    assert "failed" in text
    assert "https://github.example/Acme/Classroom/actions/runs/4242" in text
    _assert_no_secret(webhook_receiver.bodies()[0])
    assert result.report["image_repository"] == "ghcr.io/acme/classroom"


def test_unreachable_webhook_keeps_exit_code(run_cli, clean_env, tmp_path, fake_project):
    inventory, _ = _unreachable_inventory(tmp_path)
    webhook_port = closed_port()
    env = dict(
        clean_env,
        SHIPLINE_PROJECT_DIR=str(fake_project),
        SHIPLINE_WEBHOOK_URL=f"http://127.0.0.1:{webhook_port}/hook",
    )

    result = run_cli(*DEPLOY, "--inventory", str(inventory), env=env)

    assert result.returncode == 4
    assert "WARNING shipline.notify: could not send the notification to 127.0.0.1" in result.stderr
    assert f"{webhook_port}/hook" not in result.stderr


def test_step_summary_appended(run_cli, clean_env, tmp_path, fake_project):
    inventory, _ = _unreachable_inventory(tmp_path)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = dict(clean_env, SHIPLINE_PROJECT_DIR=str(fake_project), GITHUB_STEP_SUMMARY=str(summary))

    result = run_cli(*DEPLOY, "--inventory", str(inventory), env=env)

    text = summary.read_text(encoding="utf-8")
    assert result.returncode == 4
    assert text.startswith("earlier step\n")
    assert "## Shipline deploy to staging: failed" in text
    assert "| staging-1 | unreachable |" in text
