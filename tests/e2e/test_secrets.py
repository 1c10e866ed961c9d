"""End-to-end: deploys keep the registry and PostgreSQL passwords out of every log and artifact.

The lab generates both passwords (``registry-password`` and ``postgres-password`` in its
folder) as 32 random characters, so any occurrence of one of them, in any encoding that
tests/secret_scan.py searches for, is a leak and never a coincidence.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.labkit import REPO, VENV_BIN, Lab
from tests.secret_scan import Leak, scan_files, scan_text
from tests.webhooks import WebhookReceiver, webhook_receiver

SHA = "5ec2e70000000000000000000000000000000001"
APP_DIR = "/srv/classroom-manager-staging"
LEAKY_PLAY = REPO / "tests" / "playbooks" / "leak-secret.yml"
LEAKY_SECRET = "leaky-Zq7Wm3Kx9Tr2Vb5N"  # noqa: S105 (a test value that the leaky play prints)
# Ansible prints module arguments (the "invocation") from -vvv on, so this verbosity shows
# whatever a task without no_log was given.
FULL_VERBOSITY = "3"


def lab_secrets(lab: Lab) -> dict[str, str]:
    return {
        "registry password": (lab.directory / "registry-password").read_text().strip(),
        "postgres password": (lab.directory / "postgres-password").read_text().strip(),
    }


def lab_usernames(lab: Lab) -> dict[str, str]:
    return {"registry password": lab.state["registry_username"]}


def describe(leaks: list[Leak]) -> str:
    return "\n".join(str(leak) for leak in leaks[:20])


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    """A webhook receiver on 127.0.0.1 for the deploy's notification."""
    with webhook_receiver() as receiver:
        yield receiver


def run_leaky_play(tmp_path: Path, secret: str, no_log: bool) -> subprocess.CompletedProcess[str]:
    vars_file = tmp_path / "leak-vars.json"
    vars_file.write_text(json.dumps(
        {"leak_secret": secret, "leak_secret_no_log": no_log, "ansible_python_interpreter": sys.executable}
    ))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_VERBOSITY=FULL_VERBOSITY, ANSIBLE_NOCOLOR="1")
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", str(LEAKY_PLAY), "-e", f"@{vars_file}"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=300,
    )


# The next two tests run no lab: they show that the leak check can fail.


def test_leak_check_catches_task_without_no_log(tmp_path: Path) -> None:
    secret = LEAKY_SECRET
    run = run_leaky_play(tmp_path, secret, no_log=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    leaks = scan_text({"test secret": secret}, run.stdout + run.stderr, "ansible-playbook output")
    assert leaks, "the leak check found nothing in the output of a task that was given the secret without no_log"


def test_leak_check_passes_same_task_with_no_log(tmp_path: Path) -> None:
    secret = LEAKY_SECRET
    run = run_leaky_play(tmp_path, secret, no_log=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    leaks = scan_text({"test secret": secret}, run.stdout + run.stderr, "ansible-playbook output")
    assert leaks == [], describe(leaks)


def test_staging_inventory_secrets_empty_without_environment() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STAGING_", "SHIPLINE_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        STAGING_HOST="192.0.2.1",
    )
    names = ["shipline_registry_username", "shipline_registry_password", "classroom_postgres_password"]
    mapping = ", ".join(f"'{name}': {name}" for name in names)
    # debug runs on the controller, so nothing connects to the documentation address above.
    debug_run = subprocess.run(
        [str(VENV_BIN / "ansible"), "-i", "inventories/staging", "staging-1", "-m", "ansible.builtin.debug",
         "-a", "msg={{ {" + mapping + "} }}"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=120,
    )
    assert debug_run.returncode == 0, debug_run.stdout + debug_run.stderr
    values = json.loads(debug_run.stdout)["plays"][0]["tasks"][0]["hosts"]["staging-1"]["msg"]
    for name in names:
        assert values[name] == "", f"{name} has a value although no STAGING_* variable is set"


@pytest.mark.lab
def test_deploy_output_has_no_secret(provisioned: Lab) -> None:
    lab = provisioned
    lab.build(SHA)
    run = lab.playbook("deploy", {"shipline_sha": SHA}, env={"ANSIBLE_VERBOSITY": FULL_VERBOSITY})
    assert run.returncode == 0, run.output[-4000:]
    leaks = scan_text(lab_secrets(lab), run.output, "ansible-playbook -vvv output", lab_usernames(lab))
    assert leaks == [], describe(leaks)


@pytest.mark.lab
def test_cli_deploy_artifacts_have_no_secret(
    provisioned: Lab, tmp_path: Path, webhook: WebhookReceiver
) -> None:
    lab = provisioned
    lab.build(SHA)
    url = webhook.url()
    artifacts = tmp_path / "artifacts"
    run = subprocess.run(
        [sys.executable, "-m", "shipline", "deploy", "--inventory", "inventories/lab", "--sha", SHA,
         "--image-repository", f"{lab.state['registry_server_address']}/acme/classroom-manager",
         "--artifacts-dir", str(artifacts), "-vv"],
        cwd=REPO, env=lab.env({"SHIPLINE_WEBHOOK_URL": url}), capture_output=True, text=True, check=False,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    bodies = webhook.bodies()
    assert bodies, "the deploy sent no notification to the webhook"
    assert any(artifacts.rglob("job_events/*.json")), f"no ansible-runner events under {artifacts}"

    secrets, usernames = lab_secrets(lab), lab_usernames(lab)
    leaks = scan_text(secrets, run.stdout + run.stderr, "shipline output", usernames)
    leaks += scan_files(secrets, [artifacts], usernames)
    for number, body in enumerate(bodies):
        leaks += scan_text(secrets, body, f"notification {number + 1}", usernames)
    assert leaks == [], describe(leaks)


@pytest.mark.lab
def test_server_logs_and_files_have_no_secret(provisioned: Lab) -> None:
    lab = provisioned
    lab.build(SHA)
    assert lab.playbook("deploy", {"shipline_sha": SHA}).returncode == 0
    secrets, usernames = lab_secrets(lab), lab_usernames(lab)

    # The release folders' .env files hold the PostgreSQL password by design; every other
    # file under the app folder (compose files, release history, lock) must not.
    listing = lab.on_server("find", APP_DIR, "-type", "f", "!", "-name", ".env").stdout.split()
    leaks: list[Leak] = []
    for path in listing:
        leaks += scan_text(secrets, lab.on_server("cat", path).stdout, f"server:{path}", usernames)

    journal = lab.on_server("journalctl", "--no-pager", "--output=cat").stdout
    leaks += scan_text(secrets, journal, "server journal", usernames)

    containers = lab.on_server(
        "docker", "ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project=classroom-manager-staging"
    ).stdout.split()
    assert containers, "the deploy left no container of the project"
    for container in containers:
        logs = lab.on_server("docker", "logs", container)
        leaks += scan_text(secrets, logs.stdout + logs.stderr, f"docker logs {container}", usernames)
    assert leaks == [], describe(leaks)


@pytest.mark.lab
def test_env_file_is_private_to_deploy_user(provisioned: Lab) -> None:
    lab = provisioned
    lab.build(SHA)
    assert lab.playbook("deploy", {"shipline_sha": SHA}).returncode == 0
    env_file = f"{APP_DIR}/releases/{SHA}/.env"
    mode, owner = lab.on_server("stat", "--format", "%a %U", env_file).stdout.split()
    assert mode == "600", f"{env_file} has mode {mode}"
    assert owner == "deploy", f"{env_file} is owned by {owner}"
