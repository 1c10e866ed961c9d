"""End-to-end: the provisioned server's firewall, unattended security updates and sudo rules."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.labkit import Lab

pytestmark = pytest.mark.lab

SHA = "5afe000000000000000000000000000000000d01"
UNLISTED_PORT = 9999
APP_PORT = 8080
FIREWALL_TABLE = ("inet", "shipline_host")


def connect_from_other_container(lab: Lab, port: int) -> str:
    """Open a TCP connection to the server from a fresh container on the lab network; return the outcome."""
    probe = (
        "import socket\n"
        "s = socket.socket()\n"
        "s.settimeout(5)\n"
        "try:\n"
        f"    s.connect(({lab.server['container']!r}, {port}))\n"
        "    print('connected')\n"
        "except OSError as error:\n"
        "    print(type(error).__name__)\n"
    )
    completed = subprocess.run(
        ["docker", "run", "--rm", "--label", f"dev.shipline.lab={lab.name}", "--network", lab.state["network"],
         lab.state["images"]["backend_base"], "python3", "-c", probe],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return completed.stdout.strip()


def ssh(lab: Lab, user: str, *command: str) -> subprocess.CompletedProcess[str]:
    """Run a command on the server over SSH as ``user`` with the lab's key for that user."""
    key = lab.directory / ("admin_ed25519" if user == "admin" else "deploy_ed25519")
    return subprocess.run(
        ["ssh", "-i", str(key), "-p", str(lab.server["ssh_port"]), "-o", "BatchMode=yes",
         "-o", f"UserKnownHostsFile={lab.directory / 'known_hosts'}", "-o", "StrictHostKeyChecking=yes",
         f"{user}@127.0.0.1", *command],
        capture_output=True, text=True, check=False, timeout=60,
    )


def firewall_loaded(lab: Lab) -> bool:
    return lab.on_server("nft", "list", "table", *FIREWALL_TABLE, check=False).returncode == 0


def provision(lab: Lab, **extravars) -> None:
    run = lab.playbook("provision", extravars)
    assert run.returncode == 0, run.output[-4000:]


@pytest.fixture(scope="module")
def deployed(provisioned: Lab) -> Lab:
    """The provisioned lab serving a release."""
    provisioned.build(SHA)
    run = provisioned.playbook("deploy", {"shipline_sha": SHA})
    assert run.returncode == 0, run.output[-4000:]
    return provisioned


@pytest.fixture
def listener(deployed: Lab) -> Iterator[int]:
    """A TCP listener on UNLISTED_PORT on the server, so that a refusal comes from the firewall."""
    started = deployed.on_server("sh", "-c", f"python3 -m http.server {UNLISTED_PORT} >/dev/null 2>&1 & echo $!")
    pid = started.stdout.strip()
    deployed.on_server(
        "python3", "-c",
        "import socket, time\n"
        "for _ in range(50):\n"
        "    try:\n"
        f"        socket.create_connection(('127.0.0.1', {UNLISTED_PORT}), 1).close()\n"
        "        break\n"
        "    except OSError:\n"
        "        time.sleep(0.1)\n",
    )
    try:
        yield UNLISTED_PORT
    finally:
        deployed.on_server("kill", pid, check=False)


def test_app_answers_through_published_port(deployed: Lab) -> None:
    assert firewall_loaded(deployed)
    status, body = deployed.http("/api/health")
    assert status == 200, body


def test_app_port_reachable_from_other_container(deployed: Lab) -> None:
    assert connect_from_other_container(deployed, APP_PORT) == "connected"


def test_ssh_works_after_provisioning(deployed: Lab) -> None:
    for user in ("admin", "deploy"):
        result = ssh(deployed, user, "true")
        assert result.returncode == 0, f"ssh as {user} failed: {result.stderr}"


def test_unlisted_port_refused_from_other_container(listener: int, deployed: Lab) -> None:
    local = deployed.on_server(
        "python3", "-c", f"import socket; socket.create_connection(('127.0.0.1', {listener}), 5)", check=False
    )
    assert local.returncode == 0, f"nothing listens on port {listener}: {local.stderr}"
    assert connect_from_other_container(deployed, listener) == "ConnectionRefusedError"


def test_firewall_switch_removes_and_restores_table(listener: int, deployed: Lab) -> None:
    lab = deployed
    try:
        provision(lab, bootstrap_firewall_enabled=False)
        assert not firewall_loaded(lab), "the firewall table is still loaded"
        assert connect_from_other_container(lab, listener) == "connected"
        assert lab.http("/api/health")[0] == 200, "the app stopped answering without the firewall"
        docker_nat = lab.on_server("nft", "list", "table", "ip", "nat", check=False)
        assert "DOCKER" in docker_nat.stdout, "Docker's NAT rules are gone"
    finally:
        provision(lab)
    assert firewall_loaded(lab)
    assert connect_from_other_container(lab, listener) == "ConnectionRefusedError"
    assert lab.http("/api/health")[0] == 200


def test_provision_rerun_after_switch_changes_nothing(deployed: Lab) -> None:
    run = deployed.playbook("provision")
    assert run.returncode == 0, run.output[-3000:]
    assert run.recap_changed() == 0, run.output[-3000:]


def test_unlisted_ssh_port_stops_before_firewall_changes(deployed: Lab) -> None:
    lab = deployed
    rules_before = lab.on_server("nft", "list", "table", *FIREWALL_TABLE).stdout
    run = lab.playbook("provision", {"bootstrap_firewall_ssh_ports": [2222]})
    assert run.returncode != 0
    assert "sshd listens on port(s) 22, but bootstrap_firewall_ssh_ports allows 2222" in run.output, run.output[-3000:]
    assert lab.on_server("nft", "list", "table", *FIREWALL_TABLE).stdout == rules_before


def test_unattended_upgrades_allow_security_only(deployed: Lab) -> None:
    dry_run = deployed.on_server("unattended-upgrade", "--dry-run", "--debug")
    origins = [line for line in (dry_run.stdout + dry_run.stderr).splitlines() if "Allowed origins are:" in line]
    assert origins, "unattended-upgrade printed no allowed origins"
    assert origins[0].split("Allowed origins are:", 1)[1].strip() == (
        "origin=Debian,codename=trixie-security,label=Debian-Security"
    )


def test_unattended_upgrades_run_daily(deployed: Lab) -> None:
    periodic = deployed.on_server("apt-config", "dump", "APT::Periodic").stdout
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic
    assert 'APT::Periodic::Update-Package-Lists "1";' in periodic
    timer = deployed.on_server("systemctl", "is-enabled", "apt-daily-upgrade.timer", check=False).stdout.strip()
    assert timer == "enabled"


def test_deploy_user_cannot_sudo(deployed: Lab) -> None:
    result = ssh(deployed, "deploy", "sudo", "-n", "true")
    assert result.returncode != 0, "the deploy user ran sudo without bootstrap_deploy_user_sudo"


def test_deploy_user_sudo_switch_grants_and_revokes(deployed: Lab) -> None:
    lab = deployed
    try:
        provision(lab, bootstrap_deploy_user_sudo=True)
        granted = ssh(lab, "deploy", "sudo", "-n", "true")
        assert granted.returncode == 0, f"sudo failed with bootstrap_deploy_user_sudo: {granted.stderr}"
    finally:
        provision(lab)
    assert ssh(lab, "deploy", "sudo", "-n", "true").returncode != 0, "sudo stayed granted after the switch was off"
