"""Verify a server the bootstrap role provisioned: Docker, deploy user, sshd, app folder, firewall, updates."""

from __future__ import annotations

import json

import pytest

from shipline.lab.registry import SERVER_NAME, SERVER_PORT

DEPLOY_USER = "deploy"
APP_DIR = "/srv/classroom-manager-staging"
HARDENING_DROP_IN = "/etc/ssh/sshd_config.d/00-shipline-hardening.conf"


@pytest.fixture(scope="module")
def sshd_settings(host) -> dict[str, str]:
    """sshd's effective settings, as ``sshd -T`` prints them (lower-case keys)."""
    output = host.check_output("sshd -T")
    return dict(line.split(" ", 1) for line in output.splitlines() if " " in line)


def test_docker_service_runs_and_starts_at_boot(host) -> None:
    docker = host.service("docker")
    assert docker.is_running, "the docker service is not running"
    assert docker.is_enabled, "the docker service is not enabled at boot"


def test_docker_engine_answers(host) -> None:
    assert host.run("docker info --format '{{.ServerVersion}}'").rc == 0


def test_compose_v2_plugin_runs(host) -> None:
    version = host.run("docker compose version --short")
    assert version.rc == 0, f"docker compose is missing: {version.stderr}"
    assert version.stdout.strip().lstrip("v").startswith("2."), f"Compose v2 expected, got {version.stdout!r}"


def test_deploy_user_is_in_docker_group(host) -> None:
    user = host.user(DEPLOY_USER)
    assert user.exists, f"user {DEPLOY_USER} is missing"
    assert "docker" in user.groups, f"{DEPLOY_USER} is not in the docker group: {user.groups}"


def test_deploy_user_has_only_the_lab_deploy_key(host, lab_state) -> None:
    expected = (lab_state.path / "deploy_ed25519.pub").read_text().split()[:2]
    authorized = host.file(f"/home/{DEPLOY_USER}/.ssh/authorized_keys")
    assert authorized.user == DEPLOY_USER
    assert authorized.mode == 0o600, f"authorized_keys has mode {authorized.mode:o}, expected 600"
    keys = [line.split()[:2] for line in authorized.content_string.splitlines() if line.strip()]
    assert keys == [expected], f"authorized_keys holds {keys}, expected only the lab deploy key"


def test_deploy_user_logs_in_and_uses_docker_without_sudo(deploy_host) -> None:
    assert deploy_host.check_output("id -un") == DEPLOY_USER
    assert deploy_host.run("docker ps --quiet").rc == 0, "the deploy user cannot reach the Docker daemon"


def test_deploy_user_has_no_sudo_rule(host) -> None:
    assert not host.file(f"/etc/sudoers.d/90-{DEPLOY_USER}").exists


def test_sshd_rejects_password_authentication(sshd_settings) -> None:
    assert sshd_settings.get("passwordauthentication") == "no", (
        f"sshd -T reports passwordauthentication {sshd_settings.get('passwordauthentication')}: password "
        f"logins are allowed. The bootstrap role's {HARDENING_DROP_IN} must set PasswordAuthentication no, "
        "and no earlier sshd_config.d file may set it to yes (sshd keeps the first value it reads)."
    )


def test_sshd_rejects_keyboard_interactive_authentication(sshd_settings) -> None:
    assert sshd_settings.get("kbdinteractiveauthentication") == "no", (
        f"sshd -T reports kbdinteractiveauthentication {sshd_settings.get('kbdinteractiveauthentication')}; "
        f"{HARDENING_DROP_IN} must set KbdInteractiveAuthentication no"
    )


def test_sshd_requires_public_keys(sshd_settings) -> None:
    assert sshd_settings.get("authenticationmethods") == "publickey", (
        f"sshd -T reports authenticationmethods {sshd_settings.get('authenticationmethods')}; "
        f"{HARDENING_DROP_IN} must set AuthenticationMethods publickey"
    )


def test_sshd_rejects_root_login(sshd_settings) -> None:
    assert sshd_settings.get("permitrootlogin") == "no", (
        f"sshd -T reports permitrootlogin {sshd_settings.get('permitrootlogin')}; "
        f"{HARDENING_DROP_IN} must set PermitRootLogin no"
    )


def test_password_login_attempt_is_refused(ssh_attempt) -> None:
    attempt = ssh_attempt(
        DEPLOY_USER,
        "-o", "PubkeyAuthentication=no",
        "-o", "PreferredAuthentications=password,keyboard-interactive",
    )
    assert attempt.returncode == 255, f"the login did not fail: {attempt.stderr}"
    offered = attempt.offered_methods()
    assert offered, f"sshd did not answer with a 'Permission denied' line: {attempt.stderr}"
    assert offered == {"publickey"}, f"sshd offers {sorted(offered)} to a client without a key, expected only publickey"


def test_root_login_with_a_valid_key_is_refused(ssh_attempt) -> None:
    # The bootstrap scenario's prepare step authorised the admin key for root, and the
    # admin account logging in with it shows that the key itself is good.
    control = ssh_attempt("admin", key="admin_ed25519")
    assert control.returncode == 0, f"the admin key does not log in as admin: {control.stderr}"
    attempt = ssh_attempt("root", key="admin_ed25519")
    assert attempt.returncode == 255, "root logged in over SSH with the admin key"
    assert "Permission denied" in attempt.stderr, attempt.stderr


def test_daemon_json_rotates_container_logs(host) -> None:
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert daemon.get("log-driver") == "json-file", daemon
    assert daemon.get("log-opts", {}).get("max-size") == "10m", daemon
    assert daemon.get("log-opts", {}).get("max-file") == "3", daemon


def test_docker_daemon_applies_the_log_settings(host) -> None:
    driver = host.check_output("docker info --format '{{.LoggingDriver}}'")
    assert driver == "json-file", f"the daemon runs with log driver {driver}: daemon.json was not applied"


def test_registry_ca_is_installed_for_docker(host, lab_state) -> None:
    installed = host.file(f"/etc/docker/certs.d/{SERVER_NAME}:{SERVER_PORT}/ca.crt")
    assert installed.exists, "the registry CA is not installed for Docker"
    assert installed.content_string.strip() == (lab_state.path / "tls" / "ca.crt").read_text().strip()


def test_app_folder_belongs_to_deploy_user(host) -> None:
    folder = host.file(APP_DIR)
    assert folder.is_directory, f"{APP_DIR} is missing"
    assert folder.user == DEPLOY_USER, f"{APP_DIR} is owned by {folder.user}"
    assert folder.group == DEPLOY_USER, f"{APP_DIR} has group {folder.group}"
    assert folder.mode == 0o750, f"{APP_DIR} has mode {folder.mode:o}, expected 750"


def test_host_firewall_loads_at_boot(host) -> None:
    unit = host.service("shipline-firewall.service")
    assert unit.is_enabled, "shipline-firewall.service is not enabled: the firewall would be gone after a reboot"


def test_firewall_allows_only_ssh_and_app(host) -> None:
    table = host.run("nft list table inet shipline_host")
    assert table.rc == 0, f"the host firewall table is not loaded: {table.stderr}"
    rules = table.stdout
    assert "hook input priority filter; policy drop;" in rules, rules
    assert 'tcp dport 22 accept comment "ssh"' in rules, rules
    assert 'tcp dport 8080 accept comment "app"' in rules, rules


def test_unattended_upgrades_run_daily(host) -> None:
    assert host.package("unattended-upgrades").is_installed
    settings = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Update-Package-Lists "1";' in settings, settings
    assert 'APT::Periodic::Unattended-Upgrade "1";' in settings, settings
    for timer in ("apt-daily.timer", "apt-daily-upgrade.timer"):
        assert host.service(timer).is_enabled, f"{timer} is not enabled"


def test_unattended_upgrades_take_only_security_updates(host) -> None:
    settings = host.check_output("apt-config dump Unattended-Upgrade")
    patterns = [line for line in settings.splitlines() if line.startswith("Unattended-Upgrade::Origins-Pattern:: ")]
    assert patterns, f"no origin pattern is set:\n{settings}"
    assert all("-security" in line for line in patterns), f"a pattern allows more than security updates:\n{settings}"
    allowed = [line for line in settings.splitlines() if line.startswith("Unattended-Upgrade::Allowed-Origins:: ")]
    assert allowed == [], f"the package's Allowed-Origins list was not cleared:\n{settings}"
