"""End-to-end: automatic and requested rollback, release history, status and scoped cleanup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.labkit import Lab, PlaybookRun

pytestmark = pytest.mark.lab

# SHA_A, SHA_B, SHA_UNHEALTHY and SHA_NEVER_PUSHED have the values test_deploy.py uses, so
# one session builds each of them once.
SHA_A = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
SHA_B = "b2c3d4e5f60718293a4b5c6d7e8f901234567890"
SHA_C = "c3000000000000000000000000000000000000c3"
SHA_D = "d4000000000000000000000000000000000000d4"
SHA_E = "e5000000000000000000000000000000000000e5"
SHA_F = "f6000000000000000000000000000000000000f6"
SHA_G = "0a700000000000000000000000000000000000a7"
SHA_UNHEALTHY = "c0ffee0000000000000000000000000000000001"
SHA_CRASH = "c0ffee0000000000000000000000000000000002"
SHA_NEVER_PUSHED = "deadbeef00000000000000000000000000000000"
SEVEN_RELEASES = (SHA_A, SHA_B, SHA_C, SHA_D, SHA_E, SHA_F, SHA_G)

PROJECT = "classroom-manager-staging"
APP_DIR = f"/srv/{PROJECT}"
HISTORY = f"{APP_DIR}/releases.json"
ROW = "Room kept through every rollback"
BUILT_REPOSITORIES = ("acme/classroom-manager/backend", "acme/classroom-manager/frontend")

# Objects of another project on the same server, which no deploy may touch.
UNRELATED_IMAGE = "unrelated/rollback-keep:1"
UNRELATED_RUNNING = "rollback-unrelated-running"
UNRELATED_STOPPED = "rollback-unrelated-stopped"
UNRELATED_NETWORK = "rollback-unrelated-net"
UNRELATED_VOLUME = "rollback-unrelated-vol"


def deploy(lab: Lab, sha: str, **extravars: object) -> PlaybookRun:
    return lab.playbook("deploy", {"shipline_sha": sha, **extravars})


def deploy_ok(lab: Lab, sha: str) -> None:
    lab.build(sha)
    run = deploy(lab, sha)
    assert run.returncode == 0, f"deploy of {sha} failed:\n{run.output[-4000:]}"


def serve(lab: Lab, sha: str) -> None:
    """Make ``sha`` the serving release, deploying it only when something else serves."""
    if health_version(lab) != sha:
        deploy_ok(lab, sha)


def health_version(lab: Lab) -> str | None:
    """Return the version /api/health reports healthy, or None when nothing healthy answers."""
    try:
        status, body = lab.http("/api/health")
    except OSError:  # connection refused or reset while no frontend listens
        return None
    if status != 200 or not isinstance(body, dict):
        return None
    return body["data"]["version"]


def history(lab: Lab) -> dict:
    return json.loads(lab.on_server("cat", HISTORY).stdout)


def kept_digests(lab: Lab, sha: str) -> dict[str, str]:
    """Return service -> pinned digest of ``sha``'s latest deployed record."""
    records = [item for item in history(lab)["records"] if item["sha"] == sha and item["outcome"] == "deployed"]
    assert records, f"{sha} has no deployed record in {HISTORY}"
    return {service: image["digest"] for service, image in records[-1]["images"].items()}


def room_names(lab: Lab) -> list[str]:
    status, rows = lab.http("/api/classrooms")
    assert status == 200, rows
    return [item["name"] for item in rows["data"]]


def last_message(run: PlaybookRun) -> str:
    """Return the msg of the run's last failed task, as the play printed it."""
    marker = "[ERROR]: Task failed: Action failed: "
    assert marker in run.output, run.output[-3000:]
    return run.output.rsplit(marker, 1)[1].split("\nOrigin:", 1)[0]


def assert_rolled_back_to(lab: Lab, run: PlaybookRun, sha: str, bad_sha: str, phase: str) -> None:
    message = last_message(run)
    assert run.returncode != 0
    assert f"Deploy of {bad_sha} to staging-1 failed in phase {phase}" in message
    assert f"release {sha} is serving again and healthy" in message
    assert lab.running_images() == kept_digests(lab, sha)
    assert health_version(lab) == sha
    assert history(lab)["records"][-1]["outcome"] == "rolled_back"
    assert ROW in room_names(lab)


@pytest.fixture(scope="module")
def seeded(provisioned: Lab) -> Lab:
    """The server serving release A with one classroom row, and another project's objects beside it."""
    lab = provisioned
    serve(lab, SHA_A)
    if ROW not in room_names(lab):
        status, row = lab.http("/api/classrooms", "POST", {"name": ROW})
        assert status == 201, row

    # The unrelated image is release A's backend under another name, with no container:
    # a broad prune would remove it, and only this project's tags may go.
    a_backend = kept_digests(lab, SHA_A)["backend"]
    lab.on_server("docker", "tag", a_backend, UNRELATED_IMAGE)
    redis = kept_digests(lab, SHA_A)["redis"]
    lab.on_server("sh", "-c", f"docker rm -f {UNRELATED_RUNNING} {UNRELATED_STOPPED} >/dev/null 2>&1; true")
    lab.on_server("docker", "run", "-d", "--name", UNRELATED_RUNNING, "--entrypoint", "sleep", redis, "infinity")
    lab.on_server("docker", "create", "--name", UNRELATED_STOPPED, "--entrypoint", "true", redis)
    lab.on_server(
        "sh",
        "-c",
        f"docker network inspect {UNRELATED_NETWORK} >/dev/null 2>&1 || docker network create {UNRELATED_NETWORK}",
    )
    lab.on_server("docker", "volume", "create", UNRELATED_VOLUME)
    return lab


@pytest.mark.parametrize(("fault", "sha"), [("unhealthy", SHA_UNHEALTHY), ("crash", SHA_CRASH)])
def test_broken_backend_rolls_back(seeded: Lab, fault: str, sha: str) -> None:
    lab = seeded
    serve(lab, SHA_A)
    lab.build(sha, fault=fault)
    run = deploy(lab, sha)
    assert_rolled_back_to(lab, run, SHA_A, sha, "health")
    # Under load an unhealthy backend may not answer at all before the deadline, so the
    # message quotes its body or the timeout; test_deploy.py checks the body itself.
    assert "/api/health was not healthy after" in last_message(run)


def test_missing_image_rolls_back(seeded: Lab, tmp_path: Path) -> None:
    lab = seeded
    serve(lab, SHA_A)
    run = deploy(lab, SHA_NEVER_PUSHED, shipline_result_dir=str(tmp_path))
    assert_rolled_back_to(lab, run, SHA_A, SHA_NEVER_PUSHED, "pull")

    result = json.loads((tmp_path / "staging-1.json").read_text())
    assert result["outcome"] == "rolled_back"
    assert (result["sha"], result["previous_sha"], result["serving_sha"]) == (SHA_NEVER_PUSHED, SHA_A, SHA_A)
    assert result["failed_phase"] == "pull"
    assert result["health"]["version"] == SHA_A
    assert result["message"] == last_message(run)


def test_invalid_compose_file_rolls_back(seeded: Lab) -> None:
    lab = seeded
    serve(lab, SHA_A)
    lab.build(SHA_B)
    run = deploy(lab, SHA_B, classroom_backend_memory="a-lot")
    assert_rolled_back_to(lab, run, SHA_A, SHA_B, "render")
    assert "memory': invalid size: 'a-lot'" in last_message(run)


def test_failed_first_deploy_has_nothing_to_restore(seeded: Lab) -> None:
    lab = seeded
    project = "classroom-manager-rbfirst"
    app_dir = f"/srv/{project}"
    lab.on_server("sh", "-c", f"mkdir -p {app_dir} && chown deploy:deploy {app_dir} && chmod 0750 {app_dir}")
    lab.build(SHA_UNHEALTHY, fault="unhealthy")
    try:
        run = deploy(
            lab,
            SHA_UNHEALTHY,
            shipline_project_name=project,
            shipline_app_dir=app_dir,
            classroom_http_port=8081,
        )
        message = last_message(run)
        record = json.loads(lab.on_server("cat", f"{app_dir}/releases.json").stdout)["records"][-1]
    finally:
        lab.on_server("sh", "-c", f"docker compose -p {project} down -v --remove-orphans; rm -rf {app_dir}")
    assert run.returncode != 0
    assert f"Deploy of {SHA_UNHEALTHY} to staging-1 failed in phase health" in message
    assert "Nothing was rolled back" in message
    assert "no earlier release" in message
    assert record["outcome"] == "failed"
    assert health_version(lab) == SHA_A


def test_failed_rollback_says_outage_possible(seeded: Lab) -> None:
    lab = seeded
    serve(lab, SHA_A)
    compose_file = f"{APP_DIR}/releases/{SHA_A}/compose.yml"
    lab.build(SHA_UNHEALTHY, fault="unhealthy")
    lab.on_server("mv", compose_file, f"{compose_file}.aside")
    try:
        run = deploy(lab, SHA_UNHEALTHY)
    finally:
        lab.on_server("mv", f"{compose_file}.aside", compose_file)
    message = last_message(run)
    assert run.returncode != 0
    assert message.startswith("ROLLBACK FAILED on staging-1, outage possible")
    assert f"restoring release {SHA_A} failed" in message
    assert history(lab)["records"][-1]["outcome"] == "rollback_failed"

    recovered = lab.playbook("rollback", {"shipline_rollback_to": SHA_A})
    assert recovered.returncode == 0, recovered.output[-4000:]
    assert health_version(lab) == SHA_A
    assert ROW in room_names(lab)


def test_requested_rollback_restores_kept_release(seeded: Lab) -> None:
    lab = seeded
    for sha in (SHA_A, SHA_B, SHA_C):
        deploy_ok(lab, sha)

    previous = lab.playbook("rollback", {})
    assert previous.returncode == 0, previous.output[-4000:]
    assert health_version(lab) == SHA_B

    to_a = lab.playbook("rollback", {"shipline_rollback_to": SHA_A})
    assert to_a.returncode == 0, to_a.output[-4000:]
    assert health_version(lab) == SHA_A
    assert lab.running_images() == kept_digests(lab, SHA_A)
    record = history(lab)["records"][-1]
    assert (record["action"], record["outcome"], record["sha"]) == ("rollback", "rolled_back", SHA_A)
    assert ROW in room_names(lab)


def test_rollback_to_unknown_sha_is_refused(seeded: Lab) -> None:
    lab = seeded
    before_history = lab.on_server("cat", HISTORY).stdout
    before_images = lab.running_images()
    before_version = health_version(lab)
    unknown = "0123456789abcdef0123456789abcdef01234567"

    run = lab.playbook("rollback", {"shipline_rollback_to": unknown})
    message = last_message(run)
    assert run.returncode != 0
    assert f"to {unknown} refused" in message
    kept = {item["sha"] for item in history(lab)["records"] if item["outcome"] == "deployed"}
    for sha in kept:
        assert sha in message
    assert "Nothing was changed" in message
    assert lab.on_server("cat", HISTORY).stdout == before_history
    assert lab.running_images() == before_images
    assert health_version(lab) == before_version


def test_status_reports_serving_release(seeded: Lab, tmp_path: Path) -> None:
    lab = seeded
    run = lab.playbook("status", {"shipline_result_dir": str(tmp_path)})
    result = json.loads((tmp_path / "staging-1.json").read_text())
    assert run.returncode == 0, run.output[-3000:]
    assert result["outcome"] == "status"
    assert result["serving_sha"] == health_version(lab)
    assert result["releases"][0] == history(lab)["records"][-1]
    assert f"Serving release {result['serving_sha']}" in run.output


def test_seven_deploys_keep_five_releases(seeded: Lab) -> None:
    lab = seeded
    for sha in SEVEN_RELEASES:
        deploy_ok(lab, sha)

    kept = set(SEVEN_RELEASES[-5:])
    listing = lab.on_server("docker", "image", "ls", "--format", "{{.Repository}} {{.Tag}}").stdout
    for repository in BUILT_REPOSITORIES:
        tags = {
            line.split()[1].removeprefix("staging-")
            for line in listing.splitlines()
            if line.split()[0].endswith(repository)
        }
        assert tags == kept, f"{repository} has releases {sorted(tags)}, expected {sorted(kept)}"
    deployed = {item["sha"] for item in history(lab)["records"] if item["outcome"] == "deployed"}
    assert deployed == kept
    for sha in kept:
        assert lab.on_server("test", "-f", f"{APP_DIR}/releases/{sha}/compose.yml", check=False).returncode == 0
    assert ROW in room_names(lab)


def test_cleanup_leaves_other_projects_alone(seeded: Lab) -> None:
    lab = seeded
    own_stopped = "rollback-own-stopped"
    redis = kept_digests(lab, SHA_G)["redis"]
    lab.on_server("sh", "-c", f"docker rm -f {own_stopped} >/dev/null 2>&1; true")
    lab.on_server(
        "docker",
        "create",
        "--name",
        own_stopped,
        "--label",
        f"com.docker.compose.project={PROJECT}",
        "--entrypoint",
        "true",
        redis,
    )
    try:
        deploy_ok(lab, SHA_G)
        assert lab.on_server("docker", "container", "inspect", own_stopped, check=False).returncode != 0
    finally:
        # Left behind, the container would stay in the project for the tests that follow.
        lab.on_server("sh", "-c", f"docker rm -f {own_stopped} >/dev/null 2>&1; true")
    assert lab.on_server("docker", "image", "inspect", UNRELATED_IMAGE, check=False).returncode == 0
    running = lab.on_server("docker", "inspect", "--format", "{{.State.Running}}", UNRELATED_RUNNING).stdout
    assert running.strip() == "true"
    assert lab.on_server("docker", "container", "inspect", UNRELATED_STOPPED, check=False).returncode == 0
    assert lab.on_server("docker", "network", "inspect", UNRELATED_NETWORK, check=False).returncode == 0
    assert lab.on_server("docker", "volume", "inspect", UNRELATED_VOLUME, check=False).returncode == 0
    assert lab.on_server("docker", "volume", "inspect", f"{PROJECT}_pgdata", check=False).returncode == 0
