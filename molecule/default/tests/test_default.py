"""Verify the whole path: the classroom manager, provisioned, built and deployed, serves its release."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

CONVERGE = yaml.safe_load((Path(__file__).resolve().parent.parent / "converge.yml").read_text())
SHA = CONVERGE[-1]["vars"]["shipline_sha"]
PROJECT = "classroom-manager-staging"
APP_REPOSITORY = "acme/classroom-manager"
SERVICES = ("backend", "frontend", "postgres", "redis")


def get_json(lab_state, path: str) -> tuple[int, dict]:
    """GET ``path`` from the app through the server's published port on 127.0.0.1."""
    url = f"http://127.0.0.1:{lab_state.servers[0].http_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="module")
def running(host) -> dict[str, dict]:
    """Service name -> ``docker inspect`` of the project's running containers."""
    ids = host.check_output(f"docker ps --quiet --filter label=com.docker.compose.project={PROJECT}").split()
    assert ids, f"no container of project {PROJECT} runs"
    inspected = json.loads(host.check_output(f"docker inspect {' '.join(ids)}"))
    return {item["Config"]["Labels"]["com.docker.compose.service"]: item for item in inspected}


def test_health_reports_the_release(lab_state) -> None:
    status, body = get_json(lab_state, "/api/health")
    assert status == 200, body
    assert body["data"]["status"] == "healthy", body
    assert body["data"]["version"] == SHA, body


def test_classrooms_api_answers(lab_state) -> None:
    status, body = get_json(lab_state, "/api/classrooms")
    assert status == 200, body


def test_every_service_runs(running) -> None:
    assert sorted(running) == sorted(SERVICES)


@pytest.mark.parametrize("service", ["backend", "frontend"])
def test_built_service_runs_the_pushed_digest(running, lab_state, registry_digest, service) -> None:
    repository = f"{APP_REPOSITORY}/{service}"
    expected = f"{lab_state.registry_server_address}/{repository}@{registry_digest(repository, f'staging-{SHA}')}"
    assert running[service]["Config"]["Image"] == expected


@pytest.mark.parametrize("service", ["postgres", "redis"])
def test_support_service_runs_a_pinned_digest(running, service) -> None:
    assert "@sha256:" in running[service]["Config"]["Image"], running[service]["Config"]["Image"]


def test_release_folder_holds_the_rendered_files(host) -> None:
    release_dir = f"/srv/{PROJECT}/releases/{SHA}"
    assert host.file(f"{release_dir}/compose.yml").is_file
    assert host.file(f"{release_dir}/.env").mode == 0o600
