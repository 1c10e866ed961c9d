"""The entry point driving real ansible-runner runs of stand-in playbooks, one per outcome."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from launcher_support import REPO_ROOT, SECRETS, STAGING_GROUP_VARS, write_inventory

SHA = "abcdef1234567"
IMAGE = "ghcr.io/acme/classroom-manager"


def _inventory(project: Path) -> str:
    return str(project / "inventory" / "staging")


def _env(clean_env: dict[str, str], project: Path, scenario: str) -> dict[str, str]:
    return dict(clean_env, SHIPLINE_PROJECT_DIR=str(project), FAKE_SCENARIO=scenario)


def _artifact_texts(artifacts_dir: Path) -> Iterator[tuple[Path, str]]:
    for path in artifacts_dir.rglob("*"):
        if path.is_file():
            yield path, path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize(
    ("scenario", "exit_code", "outcome"),
    [
        ("deployed", 0, "deployed"),
        ("rolled_back", 1, "rolled_back"),
        ("rollback_failed", 3, "rollback_failed"),
        ("lock", 5, "failed"),
        ("no_result", 1, "failed"),
    ],
)
def test_deploy_outcome_maps_to_exit_code(run_cli, clean_env, fake_project, scenario, exit_code, outcome):
    result = run_cli(
        "deploy",
        "--inventory",
        _inventory(fake_project),
        "--sha",
        SHA,
        "--image-repository",
        IMAGE,
        env=_env(clean_env, fake_project, scenario),
    )

    assert result.returncode == exit_code, result.stderr
    assert result.report["exit_code"] == exit_code
    assert result.report["outcome"] == outcome
    assert result.report["runner_status"] == ("successful" if scenario == "deployed" else "failed")


def test_deploy_report_has_hosts_and_phases(run_cli, clean_env, fake_project):
    result = run_cli(
        "deploy",
        "--inventory",
        _inventory(fake_project),
        "--sha",
        SHA.upper(),
        "--image-repository",
        IMAGE,
        env=_env(clean_env, fake_project, "deployed"),
    )
    report = result.report
    phases = {phase["phase"]: phase["seconds"] for phase in report["phases"]}

    assert result.returncode == 0, result.stderr
    assert report["sha"] == SHA
    assert report["environment"] == "staging"
    assert report["hosts"][0]["host"] == "web1"
    assert report["hosts"][0]["health"]["status_code"] == 200
    assert list(phases) == ["preflight", "deploy_lock", "health"]
    assert phases["preflight"] >= 0.2
    assert "web1: deployed, serving abcdef123456" in result.stdout


def test_deploy_passes_the_extravars_contract(run_cli, clean_env, fake_project):
    result = run_cli(
        "deploy",
        "--inventory",
        _inventory(fake_project),
        "--sha",
        SHA,
        "--image-repository",
        IMAGE,
        "--deployed-by",
        "alice",
        "--ci-run-url",
        "https://ci.example/runs/1",
        "--force-unlock",
        "--lock-timeout",
        "45",
        env=_env(clean_env, fake_project, "deployed"),
    )
    command = json.loads((result.artifacts_dir / "runner" / "artifacts" / "deploy" / "command").read_text())
    extravars = json.loads(command["command"][command["command"].index("-e") + 1])

    assert result.returncode == 0, result.stderr
    assert extravars == {
        "shipline_sha": SHA,
        "shipline_image_repository": IMAGE,
        "shipline_deployed_by": "alice",
        "shipline_ci_run_url": "https://ci.example/runs/1",
        "shipline_lock_force": True,
        "shipline_lock_timeout": 45,
        "shipline_result_dir": str(result.artifacts_dir / "results"),
    }
    assert command["env"]["ANSIBLE_CONFIG"] == str(fake_project / "ansible.cfg")


def test_secrets_stay_out_of_output_and_artifacts(run_cli, clean_env, fake_project):
    result = run_cli(
        "deploy",
        "--inventory",
        _inventory(fake_project),
        "--sha",
        SHA,
        "--image-repository",
        IMAGE,
        env=_env(clean_env, fake_project, "rolled_back"),
    )

    assert result.returncode == 1, result.stderr
    assert "health check failed, password ********" in result.stderr
    for name, value in SECRETS.items():
        assert value not in result.stdout + result.stderr, name
        for path, text in _artifact_texts(result.artifacts_dir):
            assert value not in text, f"{name} leaked into {path}"
            assert json.dumps(value)[1:-1] not in text, f"{name} leaked JSON-escaped into {path}"


def test_key_file_is_private_and_removed(run_cli, clean_env, fake_project):
    result = run_cli(
        "deploy",
        "--inventory",
        _inventory(fake_project),
        "--sha",
        SHA,
        "--image-repository",
        IMAGE,
        env=_env(clean_env, fake_project, "deployed"),
    )
    check = json.loads((result.artifacts_dir / "key-file-check.json").read_text())

    assert result.returncode == 0, result.stderr
    assert check["exists"] is True
    assert check["mode"] == "0600"
    assert not Path(check["path"]).exists()
    assert not Path(check["path"]).parent.exists()


def test_progress_lines_name_task_host_and_status(run_cli, clean_env, fake_project):
    result = run_cli(
        "deploy",
        "--inventory",
        _inventory(fake_project),
        "--sha",
        SHA,
        "--image-repository",
        IMAGE,
        env=_env(clean_env, fake_project, "deployed"),
    )
    lines = result.stderr.splitlines()

    assert "start    preflight : Check that the SSH key file is private" in lines
    assert any(line.startswith("ok       web1  preflight : Wait a little so") for line in lines)
    assert any(line.startswith("changed  web1  health : Write the deploy result (") for line in lines)
    assert any(line.startswith("skipped  web1  health : Fail the deploy when") for line in lines)


@pytest.mark.parametrize(
    ("scenario", "exit_code", "outcome"),
    [("rolled_back", 0, "rolled_back"), ("rollback_failed", 3, "rollback_failed"), ("failed", 1, "failed")],
)
def test_rollback_outcome_maps_to_exit_code(run_cli, clean_env, fake_project, scenario, exit_code, outcome):
    result = run_cli(
        "rollback", "--inventory", _inventory(fake_project), env=_env(clean_env, fake_project, scenario)
    )

    assert result.returncode == exit_code, result.stderr
    assert result.report["outcome"] == outcome
    assert result.report["rollback_to"] == "previous"
    assert result.report["hosts"][0]["sha"] == "previous"


def test_status_reports_releases(run_cli, clean_env, fake_project):
    result = run_cli(
        "status", "--inventory", _inventory(fake_project), env=_env(clean_env, fake_project, "x")
    )

    assert result.returncode == 0, result.stderr
    assert result.report["hosts"][0]["releases"] == [{"sha": "abcdef1"}]


@pytest.mark.parametrize(("scenario", "exit_code"), [("ok", 0), ("build_failed", 1)])
def test_build_exit_code(run_cli, clean_env, fake_project, scenario, exit_code):
    env = _env(clean_env, fake_project, scenario)
    del env["STAGING_SSH_KEY"]

    result = run_cli(
        "build", "--inventory", _inventory(fake_project), "--sha", SHA, "--image-repository", IMAGE, env=env
    )

    assert result.returncode == exit_code, result.stderr
    assert result.report["outcome"] == ("built" if exit_code == 0 else "failed")


@pytest.fixture
def closing_listener() -> Iterator[int]:
    """Listen on a 127.0.0.1 port that accepts TCP connections and closes them at once (not SSH)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_ansible_unreachable_exits_4(run_cli, clean_env, fake_project, tmp_path, closing_listener):
    inventory = write_inventory(
        tmp_path / "ssh-inventory",
        {"web1": {"ansible_host": "127.0.0.1", "ansible_port": closing_listener, "ansible_user": "nobody"}},
        STAGING_GROUP_VARS,
    )

    result = run_cli(
        "deploy",
        "--inventory",
        str(inventory),
        "--sha",
        SHA,
        "--image-repository",
        IMAGE,
        env=_env(clean_env, fake_project, "deployed"),
    )

    assert result.returncode == 4, result.stderr
    assert result.report["hosts"][0]["outcome"] == "unreachable"
    assert any(line.startswith("unreachable web1") for line in result.stderr.splitlines())


def test_sigterm_cancels_deploy_and_cleans_up(clean_env, fake_project, tmp_path):
    artifacts_dir = tmp_path / "artifacts"
    arguments = ["deploy", "--inventory", _inventory(fake_project), "--sha", SHA, "--image-repository", IMAGE]
    process = subprocess.Popen(
        [sys.executable, "-m", "shipline", *arguments, "--artifacts-dir", str(artifacts_dir)],
        cwd=REPO_ROOT,
        env=_env(clean_env, fake_project, "slow"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line)
        if "start    deploy_lock : Wait long enough" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    report = json.loads((artifacts_dir / "report.json").read_text())
    key_check = json.loads((artifacts_dir / "key-file-check.json").read_text())

    assert process.returncode == 3, "".join(seen) + stderr
    assert report["runner_status"] == "canceled"
    assert report["hosts"][0]["outcome"] == "canceled"
    assert not Path(key_check["path"]).parent.exists()
    assert "received SIGTERM" in stderr
    assert _processes_mentioning(str(fake_project)) == []


def _processes_mentioning(text: str) -> list[int]:
    """Return pids of live processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command_line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command_line:
            found.append(int(entry.name))
    return found
