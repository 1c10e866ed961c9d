"""The classroom manager's compose template: every service rotates logs, is limited, restarts and is checked.

The template is rendered with plain Jinja2, the one Ansible filter it uses (``to_json``)
and the non-secret values in the staging inventory's app.yml. A service that loses one of
these settings, or a limit that app.yml stops defining, fails here before a deploy does.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "templates" / "classroom-manager" / "compose.yml.j2"
APP_VARS = REPO / "inventories" / "staging" / "group_vars" / "all" / "app.yml"
SERVICES = ("postgres", "redis", "backend", "frontend")
IMAGES = {service: f"registry.example.test/acme/{service}@sha256:{'0' * 64}" for service in SERVICES}


def inventory_values() -> dict:
    """Return app.yml's classroom_* values that need no Ansible templating."""
    values = yaml.safe_load(APP_VARS.read_text())
    return {k: v for k, v in values.items() if k.startswith("classroom_") and "{{" not in str(v)}


@pytest.fixture(scope="module")
def compose() -> dict:
    # The output is YAML, not HTML, and Ansible renders templates without autoescape too.
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)  # noqa: S701
    environment.filters["to_json"] = json.dumps
    rendered = environment.from_string(TEMPLATE.read_text()).render(
        ansible_managed="managed by Ansible",
        compose_project_name="classroom-manager-staging",
        compose_release="0123456789abcdef0123456789abcdef01234567",
        compose_images=IMAGES,
        **inventory_values(),
    )
    return yaml.safe_load(rendered)


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_comes_from_variables(compose: dict, service: str) -> None:
    assert compose["services"][service]["image"] == IMAGES[service]


@pytest.mark.parametrize("service", SERVICES)
def test_service_rotates_logs(compose: dict, service: str) -> None:
    logging = compose["services"][service]["logging"]
    assert logging["driver"] == "json-file"
    assert logging["options"]["max-size"]
    assert int(logging["options"]["max-file"]) >= 1


@pytest.mark.parametrize("service", SERVICES)
def test_service_has_memory_and_cpu_limits(compose: dict, service: str) -> None:
    limits = compose["services"][service]["deploy"]["resources"]["limits"]
    assert str(limits["memory"]).rstrip("kmgKMG").isdigit(), limits
    assert float(limits["cpus"]) > 0


@pytest.mark.parametrize("service", SERVICES)
def test_service_restarts_after_crash(compose: dict, service: str) -> None:
    assert compose["services"][service]["restart"] in {"always", "unless-stopped", "on-failure"}


@pytest.mark.parametrize("service", SERVICES)
def test_service_has_healthcheck(compose: dict, service: str) -> None:
    assert compose["services"][service]["healthcheck"]["test"]


@pytest.mark.parametrize("dependency", ["postgres", "redis"])
def test_backend_waits_for_healthy_dependency(compose: dict, dependency: str) -> None:
    assert compose["services"]["backend"]["depends_on"][dependency]["condition"] == "service_healthy"


def test_compose_file_holds_no_secret(compose: dict) -> None:
    environment = compose["services"]["postgres"]["environment"]
    assert environment["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD"), environment["POSTGRES_PASSWORD"]


@pytest.mark.parametrize("service", ["backend", "frontend"])
def test_app_service_carries_release_label(compose: dict, service: str) -> None:
    labels = compose["services"][service]["labels"]
    assert labels["dev.shipline.release"] == "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("service", ["postgres", "redis"])
def test_data_service_has_no_release_label(compose: dict, service: str) -> None:
    # Compose recreates a container whose labels change, so a release label would restart
    # the database and Redis on every deploy.
    labels = compose["services"][service]["labels"]
    assert "dev.shipline.release" not in labels
    assert labels["dev.shipline.project"] == "classroom-manager-staging"
