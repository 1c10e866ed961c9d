"""End-to-end: migrations run in a one-off container of the new image before the switch."""

from __future__ import annotations

import pytest

from tests.labkit import Lab

pytestmark = pytest.mark.lab

SHA_SERVING = "5afe000000000000000000000000000000000b01"
SHA_MIGRATION_FAILS = "5afe000000000000000000000000000000000b02"
SHA_NEXT = "5afe000000000000000000000000000000000b03"
PROJECT = "classroom-manager-staging"
MIGRATION_CONTAINER = f"{PROJECT}-backend-migrations"


def health_version(lab: Lab) -> str:
    status, body = lab.http("/api/health")
    assert status == 200, body
    return body["data"]["version"]


def container_ids(lab: Lab) -> dict[str, str]:
    """Return service name -> container id of the project's containers."""
    listing = lab.on_server(
        "docker", "ps", "--all", "--filter", f"label=com.docker.compose.project={PROJECT}",
        "--format", '{{.Label "com.docker.compose.service"}} {{.ID}}',
    ).stdout
    return dict(line.split(" ", 1) for line in listing.splitlines() if line.strip())


def applied_migrations(lab: Lab) -> list[str]:
    postgres = container_ids(lab)["postgres"]
    query = lab.on_server(
        "docker", "exec", postgres, "sh", "-c",
        'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -At -c "SELECT version FROM schema_migrations ORDER BY 1"',
    )
    return query.stdout.split()


@pytest.fixture(scope="module")
def serving(provisioned: Lab) -> Lab:
    """The lab with SHA_SERVING deployed."""
    provisioned.build(SHA_SERVING)
    run = provisioned.playbook("deploy", {"shipline_sha": SHA_SERVING})
    assert run.returncode == 0, run.output[-4000:]
    return provisioned


def test_migrations_run_before_switch(serving: Lab) -> None:
    # A new release: a redeploy of the serving one skips its migrations, which already ran.
    serving.build(SHA_NEXT)
    run = serving.playbook("deploy", {"shipline_sha": SHA_NEXT})
    assert run.returncode == 0, run.output[-4000:]
    migrated = run.output.find("TASK [migrations : Run the migration command with docker compose run]")
    switched = run.output.find("TASK [image_deploy : Start the release with docker compose up]")
    assert migrated != -1, "the deploy ran no migration"
    assert migrated < switched, "the migrations ran after the switch"


def test_failing_migration_keeps_serving_release(serving: Lab) -> None:
    lab = serving
    lab.build(SHA_MIGRATION_FAILS, fault="migration-fails")
    status, _ = lab.http("/api/classrooms", "POST", {"name": "Room before the failed migration"})
    assert status == 201
    schema_before = applied_migrations(lab)
    containers_before = container_ids(lab)
    version_before = health_version(lab)

    run = lab.playbook("deploy", {"shipline_sha": SHA_MIGRATION_FAILS})

    assert run.returncode != 0
    assert "failed in phase migrate" in run.output, run.output[-4000:]
    assert "Migration command python3 -m classroom_manager.migrate in service backend exited with code 1" in run.output
    assert 'relation "teachers" does not exist' in run.output, "the migration's own output is missing"
    assert health_version(lab) == version_before
    assert container_ids(lab) == containers_before, "a container of the serving release was replaced"
    assert applied_migrations(lab) == schema_before, "the failed migration changed the schema"
    names = [row["name"] for row in lab.http("/api/classrooms")[1]["data"]]
    assert "Room before the failed migration" in names


def test_failing_migration_leaves_no_container(serving: Lab) -> None:
    lab = serving
    lab.build(SHA_MIGRATION_FAILS, fault="migration-fails")
    assert lab.playbook("deploy", {"shipline_sha": SHA_MIGRATION_FAILS}).returncode != 0
    left = lab.on_server(
        "docker", "ps", "--all", "--quiet", "--filter", "label=com.docker.compose.oneoff=True",
        "--filter", f"label=com.docker.compose.project={PROJECT}",
    ).stdout.split()
    assert left == [], f"one-off containers left behind: {left}"
    named = lab.on_server("docker", "container", "inspect", MIGRATION_CONTAINER, check=False)
    assert named.returncode != 0, f"{MIGRATION_CONTAINER} still exists"
