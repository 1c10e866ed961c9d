"""The bootstrap scenario's verifier fails, naming PasswordAuthentication, when sshd allows passwords.

A verifier that passes whatever the server looks like proves nothing. These tests run the
bootstrap scenario's testinfra tests (molecule/bootstrap/tests) against a lab server that
the bootstrap role hardened, then against the same server with password logins turned
back on, as a broken role would leave it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
LAB_NAME = "molecule-verifier-check"
LAB_INSTANCE = REPO / "molecule" / "shared" / "lab_instance.py"
DROP_IN = "/etc/ssh/sshd_config.d/00-shipline-hardening.conf"
SSHD_CHECK = "test_sshd_rejects_password_authentication"


def _run(command: list[str], env: dict[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def _lab_env() -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("SHIPLINE_LAB")},
        "SHIPLINE_LAB_NAME": LAB_NAME,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
    }


@pytest.fixture(scope="module")
def hardened_server() -> Iterator[str]:
    """The container of a lab server after the bootstrap scenario's prepare and converge steps."""
    env = _lab_env()
    up = _run([sys.executable, str(LAB_INSTANCE), "--lab", LAB_NAME, "up", "--server", "provisioned"], env)
    if up.returncode != 0:
        message = f"the lab could not start: {up.stderr[-2000:]}"
        # Under CI a lab that cannot start is a failure, never a quiet skip.
        pytest.fail(message) if os.environ.get("CI") == "true" else pytest.skip(message)
    try:
        provision = _run(
            [
                str(Path(sys.executable).parent / "ansible-playbook"),
                "--inventory", str(REPO / "molecule" / "shared" / "inventory"),
                str(REPO / "molecule" / "bootstrap" / "prepare.yml"),
                str(REPO / "molecule" / "bootstrap" / "converge.yml"),
            ],
            env,
        )
        assert provision.returncode == 0, f"provisioning failed:\n{provision.stdout[-4000:]}"
        yield f"shipline-{LAB_NAME}-staging-1"
    finally:
        if os.environ.get("SHIPLINE_KEEP_LAB") != "1":
            _run([sys.executable, str(LAB_INSTANCE), "--lab", LAB_NAME, "down"], env)


def _run_bootstrap_verifier() -> subprocess.CompletedProcess[str]:
    # A wide terminal keeps pytest from cutting the "FAILED ... - message" summary lines short.
    return _run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rf", "molecule/bootstrap/tests"],
        {**_lab_env(), "COLUMNS": "1000"},
    )


def _failed_tests(output: str) -> set[str]:
    return {line.split("::", 1)[1].split(" ", 1)[0] for line in output.splitlines() if line.startswith("FAILED ")}


def _set_password_authentication(container: str, value: str) -> None:
    for command in (
        ["sed", "-i", f"s/^PasswordAuthentication .*/PasswordAuthentication {value}/", DROP_IN],
        ["systemctl", "reload", "ssh"],
    ):
        subprocess.run(["docker", "exec", container, *command], check=True, capture_output=True, timeout=60)


@pytest.fixture
def password_login_enabled(hardened_server: str) -> Iterator[None]:
    """The hardened server with PasswordAuthentication yes in the bootstrap role's drop-in."""
    _set_password_authentication(hardened_server, "yes")
    yield
    _set_password_authentication(hardened_server, "no")


def test_verifier_passes_on_hardened_server(hardened_server: str) -> None:
    result = _run_bootstrap_verifier()
    assert result.returncode == 0, result.stdout[-4000:]


def test_verifier_fails_on_password_login(password_login_enabled: None) -> None:
    result = _run_bootstrap_verifier()
    assert result.returncode == 1, f"expected test failures (exit 1), got exit {result.returncode}:\n{result.stdout}"
    assert _failed_tests(result.stdout) == {SSHD_CHECK}, result.stdout[-4000:]


def test_verifier_failure_names_password_authentication(password_login_enabled: None) -> None:
    result = _run_bootstrap_verifier()
    summary = [line for line in result.stdout.splitlines() if line.startswith("FAILED ") and SSHD_CHECK in line]
    assert summary, f"{SSHD_CHECK} did not fail:\n{result.stdout[-4000:]}"
    assert "PasswordAuthentication" in summary[0], summary[0]
    assert "passwordauthentication yes" in summary[0], summary[0]
