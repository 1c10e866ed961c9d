"""End-to-end: provision a bare lab server, build and deploy the sample app, reject bad input."""

from __future__ import annotations

import pytest

from tests.labkit import Lab

pytestmark = pytest.mark.lab

SHA_A = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
SHA_B = "b2c3d4e5f60718293a4b5c6d7e8f901234567890"
SHA_UNHEALTHY = "c0ffee0000000000000000000000000000000001"
SHA_NEVER_PUSHED = "deadbeef00000000000000000000000000000000"
BUILT = ("backend", "frontend")
APP_DIR = "/srv/classroom-manager-staging"


def deploy(lab: Lab, sha: str, **extravars) -> object:
    return lab.playbook("deploy", {"shipline_sha": sha, **extravars})


def health_version(lab: Lab) -> str:
    status, body = lab.http("/api/health")
    assert status == 200, body
    return body["data"]["version"]


@pytest.fixture(scope="module")
def unrelated(provisioned: Lab) -> Lab:
    """An image and a container on the server that belong to no Shipline project."""
    provisioned.load_image(provisioned.state["images"]["backend_base"], "unrelated/keep:1")
    provisioned.on_server("sh", "-c", "docker rm -f unrelated-keep >/dev/null 2>&1; true")
    provisioned.on_server(
        "docker", "run", "-d", "--name", "unrelated-keep", "--entrypoint", "sleep", "unrelated/keep:1", "infinity"
    )
    return provisioned


def test_provision_rerun_changes_nothing(provisioned: Lab) -> None:
    again = provisioned.playbook("provision")
    assert again.returncode == 0, again.output[-3000:]
    assert again.recap_changed() == 0, again.output[-3000:]


def test_deploy_two_releases_keeps_data(unrelated: Lab) -> None:
    lab = unrelated
    lab.build(SHA_A)
    first = deploy(lab, SHA_A)
    assert first.returncode == 0, first.output[-4000:]
    assert health_version(lab) == SHA_A

    status, row = lab.http("/api/classrooms", "POST", {"name": "Room written under A"})
    assert status == 201, row

    lab.build(SHA_B)
    second = deploy(lab, SHA_B)
    assert second.returncode == 0, second.output[-4000:]
    assert health_version(lab) == SHA_B

    status, rows = lab.http("/api/classrooms")
    assert status == 200, rows
    names = [item["name"] for item in (rows["data"] if isinstance(rows, dict) else rows)]
    assert "Room written under A" in names


def test_running_images_are_the_release_tags(unrelated: Lab) -> None:
    lab = unrelated
    lab.build(SHA_B)
    assert deploy(lab, SHA_B).returncode == 0
    running = lab.running_images()
    for service in BUILT:
        tagged = f"{lab.state['registry_server_address']}/acme/classroom-manager/{service}:staging-{SHA_B}"
        digest = lab.on_server(
            "docker", "image", "inspect", "--format", "{{index .RepoDigests 0}}", tagged
        ).stdout.strip()
        assert running[service] == digest, f"{service} runs {running[service]}, expected {digest}"


def test_redeploy_of_serving_release_changes_nothing(unrelated: Lab) -> None:
    lab = unrelated
    lab.build(SHA_B)
    assert deploy(lab, SHA_B).returncode == 0
    history = lab.on_server("cat", f"{APP_DIR}/releases.json").stdout
    running = lab.running_images()

    again = deploy(lab, SHA_B)

    assert again.returncode == 0, again.output[-4000:]
    assert again.recap_changed() == 0, again.output[-4000:]
    migrations = again.output.split("TASK [Run the release's migrations before the switch]", 1)[1]
    assert migrations.splitlines()[1].startswith("skipping: [staging-1]"), migrations[:500]
    assert lab.on_server("cat", f"{APP_DIR}/releases.json").stdout == history
    assert lab.running_images() == running
    assert health_version(lab) == SHA_B


def test_unrelated_image_and_container_survive(unrelated: Lab) -> None:
    lab = unrelated
    lab.build(SHA_A)
    assert deploy(lab, SHA_A).returncode == 0
    assert lab.on_server("docker", "image", "inspect", "unrelated/keep:1", check=False).returncode == 0
    state = lab.on_server("docker", "inspect", "--format", "{{.State.Running}}", "unrelated-keep").stdout.strip()
    assert state == "true"


def test_missing_registry_password_stops_before_server(provisioned: Lab) -> None:
    run = deploy(provisioned, SHA_A, shipline_registry_password="")
    assert run.returncode != 0
    assert "shipline_registry_password is missing or empty" in run.output
    assert "Pull the release images" not in run.output


def test_missing_ssh_key_stops_before_server(provisioned: Lab) -> None:
    run = deploy(provisioned, SHA_A, shipline_deploy_private_key_file="/nonexistent/deploy_key")
    assert run.returncode != 0
    assert "/nonexistent/deploy_key does not exist" in run.output
    assert "UNREACHABLE" not in run.output


def test_unpushed_sha_fails_at_pull_and_old_release_serves(unrelated: Lab) -> None:
    lab = unrelated
    lab.build(SHA_A)
    assert deploy(lab, SHA_A).returncode == 0
    run = deploy(lab, SHA_NEVER_PUSHED)
    assert run.returncode != 0
    assert "phase pull" in run.output
    assert health_version(lab) == SHA_A


def test_unhealthy_status_fails_with_body(unrelated: Lab) -> None:
    lab = unrelated
    lab.build(SHA_UNHEALTHY, fault="unhealthy")
    run = deploy(lab, SHA_UNHEALTHY)
    assert run.returncode != 0
    assert "phase health" in run.output
    assert "data.status is 'unhealthy'" in run.output
    assert '\\"status\\": \\"unhealthy\\"' in run.output or '"status": "unhealthy"' in run.output
