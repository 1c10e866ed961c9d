"""Verify the release folder the compose role rendered: its files, their modes, and a valid config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

CONVERGE_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "converge.yml").read_text())[0]["vars"]
RELEASE = CONVERGE_VARS["molecule_compose_release"]
IMAGES = CONVERGE_VARS["molecule_compose_images"]
PROJECT = "classroom-manager-staging"
RELEASE_DIR = f"/srv/{PROJECT}/releases/{RELEASE}"
DEPLOY_USER = "deploy"


@pytest.fixture(scope="module")
def rendered_config(deploy_host) -> dict:
    """The release's configuration as ``docker compose config`` resolves it, run as the deploy user."""
    output = deploy_host.check_output(
        f"cd {RELEASE_DIR} && docker compose --project-name {PROJECT} --file compose.yml config --format json"
    )
    return json.loads(output)


def test_release_folder_belongs_to_deploy_user(host) -> None:
    folder = host.file(RELEASE_DIR)
    assert folder.is_directory, f"{RELEASE_DIR} is missing"
    assert folder.user == DEPLOY_USER, f"{RELEASE_DIR} is owned by {folder.user}"
    assert folder.mode == 0o750, f"{RELEASE_DIR} has mode {folder.mode:o}, expected 750"


def test_compose_file_has_mode_0640(host) -> None:
    compose_file = host.file(f"{RELEASE_DIR}/compose.yml")
    assert compose_file.is_file, "compose.yml is missing"
    assert compose_file.user == DEPLOY_USER, f"compose.yml is owned by {compose_file.user}"
    assert compose_file.mode == 0o640, f"compose.yml has mode {compose_file.mode:o}, expected 640"


def test_env_file_has_mode_0600(host) -> None:
    env_file = host.file(f"{RELEASE_DIR}/.env")
    assert env_file.is_file, ".env is missing"
    assert env_file.user == DEPLOY_USER, f".env is owned by {env_file.user}"
    assert env_file.mode == 0o600, f".env holds the database password but has mode {env_file.mode:o}, expected 600"


def test_env_file_holds_the_database_password(host, lab_state) -> None:
    password = (lab_state.path / "postgres-password").read_text().strip()
    assert f"POSTGRES_PASSWORD='{password}'" in host.file(f"{RELEASE_DIR}/.env").content_string


def test_compose_file_holds_no_password(host, lab_state) -> None:
    password = (lab_state.path / "postgres-password").read_text().strip()
    assert password not in host.file(f"{RELEASE_DIR}/compose.yml").content_string


def test_compose_config_passes_as_deploy_user(deploy_host) -> None:
    check = deploy_host.run(
        f"cd {RELEASE_DIR} && docker compose --project-name {PROJECT} --file compose.yml config --quiet"
    )
    assert check.rc == 0, f"docker compose config failed: {check.stderr}"


def test_compose_file_pins_the_given_images(rendered_config) -> None:
    images = {name: service["image"] for name, service in rendered_config["services"].items()}
    assert images == IMAGES


def test_compose_file_names_the_project(rendered_config) -> None:
    assert rendered_config["name"] == PROJECT


def test_app_services_carry_the_release_label(rendered_config) -> None:
    for name in ("backend", "frontend"):
        labels = rendered_config["services"][name].get("labels", {})
        assert labels.get("dev.shipline.release") == RELEASE, f"service {name} lacks the label"


def test_data_services_carry_no_release_label(rendered_config) -> None:
    # A label that changes with each release would make Compose recreate the database on every deploy.
    for name in ("postgres", "redis"):
        labels = rendered_config["services"][name].get("labels", {})
        assert "dev.shipline.release" not in labels, f"service {name} carries the release label"
        assert labels.get("dev.shipline.project") == PROJECT, f"service {name} lacks the project label"
