"""End-to-end: preflight stops a deploy with the figures found, before the server is changed."""

from __future__ import annotations

import re
import time

import pytest

from tests.labkit import Lab

pytestmark = pytest.mark.lab

SHA_SERVING = "5afe000000000000000000000000000000000a01"
SHA_NEXT = "5afe000000000000000000000000000000000a02"
APP_DIR = "/srv/classroom-manager-staging"
PROJECT = "classroom-manager-staging"
# Output of the role that pulls images, the first to change the server after the lock.
FIRST_CHANGE = "TASK [image_deploy"


def server_state(lab: Lab) -> dict[str, str]:
    """Return what a deploy changes: the project's containers, and the app folder's files with their mtimes."""
    containers = lab.on_server(
        "docker", "ps", "--all", "--filter", f"label=com.docker.compose.project={PROJECT}",
        "--format", "{{.ID}} {{.Image}} {{.State}}",
    ).stdout
    files = lab.on_server("find", APP_DIR, "-printf", "%p %T@ %s\n").stdout
    return {"containers": "\n".join(sorted(containers.splitlines())), "files": "\n".join(sorted(files.splitlines()))}


def health_version(lab: Lab) -> str:
    status, body = lab.http("/api/health")
    assert status == 200, body
    return body["data"]["version"]


def wait_until_healthy(lab: Lab, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if lab.http("/api/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"the app did not answer healthy within {timeout:.0f} s")


@pytest.fixture(scope="module")
def serving(provisioned: Lab) -> Lab:
    """The lab with SHA_SERVING deployed and SHA_NEXT built but not deployed."""
    provisioned.build(SHA_SERVING)
    provisioned.build(SHA_NEXT)
    run = provisioned.playbook("deploy", {"shipline_sha": SHA_SERVING})
    assert run.returncode == 0, run.output[-4000:]
    return provisioned


def deploy_next_and_expect_preflight_failure(lab: Lab, **extravars) -> str:
    """Deploy SHA_NEXT with ``extravars``; check that it failed and left the server as it was."""
    before = server_state(lab)
    run = lab.playbook("deploy", {"shipline_sha": SHA_NEXT, **extravars})
    assert run.returncode != 0, run.output[-3000:]
    assert FIRST_CHANGE not in run.output, "the deploy went past preflight"
    after = server_state(lab)
    assert after["containers"] == before["containers"], "preflight left the containers changed"
    assert after["files"] == before["files"], "preflight left the app folder changed"
    assert health_version(lab) == SHA_SERVING
    return run.output


def test_disk_threshold_above_free_space_stops_deploy(serving: Lab) -> None:
    output = deploy_next_and_expect_preflight_failure(serving, preflight_disk_min_free_gib=1_000_000)
    assert re.search(r"Only \d+\.\d GiB \(\d+ %\) free on /var/lib/docker on staging-1", output), output[-3000:]
    assert "need 1000000.0 GiB and 10 %" in output


def test_disk_percent_threshold_stops_deploy(serving: Lab) -> None:
    output = deploy_next_and_expect_preflight_failure(serving, preflight_disk_min_free_percent=99.9)
    assert re.search(r"Only \d+\.\d GiB \(\d+ %\) free on /var/lib/docker", output), output[-3000:]
    assert "need 2.0 GiB and 99.9 %" in output


def test_wrong_registry_password_stops_deploy(serving: Lab) -> None:
    wrong = "wrong-password-5afe"
    output = deploy_next_and_expect_preflight_failure(serving, shipline_registry_password=wrong)
    assert "rejected the credentials of user shipline" in output, output[-3000:]
    assert "401 Unauthorized" in output
    assert wrong not in output, "the rejected password appears in the output"


def test_unreachable_registry_stops_deploy(serving: Lab) -> None:
    output = deploy_next_and_expect_preflight_failure(serving, shipline_registry="registry.invalid:5000")
    assert "Registry registry.invalid:5000 is not reachable from staging-1" in output, output[-3000:]
    assert "no such host" in output


def test_compose_older_than_minimum_stops_deploy(serving: Lab) -> None:
    output = deploy_next_and_expect_preflight_failure(serving, preflight_compose_min_version="99.0")
    assert re.search(r"Docker Compose on staging-1 is \d+\.\d+\S*; need 99\.0 or later", output), output[-3000:]


def test_docker_daemon_down_stops_deploy(serving: Lab) -> None:
    lab = serving
    # The socket unit would start the daemon again on the first request.
    lab.on_server("systemctl", "stop", "docker.socket", "docker.service")
    try:
        run = lab.playbook("deploy", {"shipline_sha": SHA_NEXT})
    finally:
        lab.on_server("systemctl", "start", "docker.socket", "docker.service")
        wait_until_healthy(lab)
    assert run.returncode != 0
    assert "The Docker daemon on staging-1 does not answer on /var/run/docker.sock" in run.output, run.output[-3000:]
    assert FIRST_CHANGE not in run.output


def test_quote_in_env_value_stops_before_server(serving: Lab) -> None:
    value = "it's-5afe-quoted"
    run = serving.playbook("deploy", {"shipline_sha": SHA_NEXT, "classroom_postgres_password": value})
    assert run.returncode != 0
    assert "classroom_postgres_password contains a single quote or a line break" in run.output, run.output[-3000:]
    assert value not in run.output, "the rejected value appears in the output"
    assert "Read the Docker daemon's host information" not in run.output, "the deploy reached the server"


def test_newline_in_env_value_stops_before_server(serving: Lab) -> None:
    run = serving.playbook("deploy", {"shipline_sha": SHA_NEXT, "classroom_postgres_user": "class\nroom"})
    assert run.returncode != 0
    assert "classroom_postgres_user contains a single quote or a line break" in run.output, run.output[-3000:]


def test_missing_postgres_password_stops_before_server(serving: Lab) -> None:
    run = serving.playbook("deploy", {"shipline_sha": SHA_NEXT, "classroom_postgres_password": ""})
    assert run.returncode != 0
    assert "classroom_postgres_password is missing or empty" in run.output, run.output[-3000:]
    assert "Read the Docker daemon's host information" not in run.output


def test_registry_with_scheme_stops_before_server(serving: Lab) -> None:
    run = serving.playbook("deploy", {"shipline_sha": SHA_NEXT, "shipline_registry": "https://ghcr.io"})
    assert run.returncode != 0
    assert 'shipline_registry "https://ghcr.io" is not a registry host[:port]' in run.output, run.output[-3000:]
    assert "Read the Docker daemon's host information" not in run.output


def test_empty_image_repository_path_stops_before_server(serving: Lab) -> None:
    run = serving.playbook("deploy", {"shipline_sha": SHA_NEXT, "shipline_image_repository": "ghcr.io/"})
    assert run.returncode != 0
    assert 'shipline_image_repository "ghcr.io/" is not <registry>/<path>' in run.output, run.output[-3000:]
