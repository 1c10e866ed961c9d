"""GitHub Actions workflows: staging deploy trigger, pins and permissions, read as YAML."""

from __future__ import annotations

import re

import pytest
import yaml
from launcher_support import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
FULL_SHA_PIN = re.compile(r"[^@\s]+@[0-9a-f]{40}")


def _load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def _condition(text: str) -> set[str]:
    return {part.strip() for part in text.split("&&")}


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_deploy_triggers_on_completed_ci_for_main():
    trigger = _load("deploy-staging.yml")["on"]

    assert list(trigger) == ["workflow_run"]
    assert trigger["workflow_run"]["workflows"] == ["CI"]
    assert trigger["workflow_run"]["types"] == ["completed"]
    assert trigger["workflow_run"]["branches"] == ["main"]


def test_ci_workflow_name_matches_trigger():
    assert _load("ci.yml")["name"] == "CI"


def test_deploy_jobs_require_successful_push_to_main():
    workflow = _load("deploy-staging.yml")
    build = workflow["jobs"]["build"]
    deploy = workflow["jobs"]["deploy"]

    conditions = _condition(build["if"])
    assert "github.event.workflow_run.conclusion == 'success'" in conditions
    assert "github.event.workflow_run.event == 'push'" in conditions
    assert "github.event.workflow_run.head_branch == 'main'" in conditions
    assert deploy["needs"] == "build"
    assert deploy["environment"] == "staging"


def test_deploy_checks_out_head_sha():
    workflow = _load("deploy-staging.yml")

    for job_name, job in workflow["jobs"].items():
        checkout = next(step for step in job["steps"] if step["uses"].startswith("actions/checkout@"))
        assert checkout["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}", job_name
        assert job["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}", job_name


@pytest.mark.parametrize("name", ["deploy-staging.yml", "rollback-staging.yml"])
def test_staging_runs_never_cancel_each_other(name):
    concurrency = _load(name)["concurrency"]

    assert concurrency == {"group": "deploy-staging", "cancel-in-progress": False}


def test_only_the_build_job_may_write_packages():
    jobs = _load("deploy-staging.yml")["jobs"]

    assert _load("deploy-staging.yml")["permissions"] == {}
    assert jobs["build"]["permissions"] == {"contents": "read", "packages": "write"}
    assert jobs["deploy"]["permissions"] == {"contents": "read"}


def test_rollback_is_manual_with_optional_sha():
    workflow = _load("rollback-staging.yml")
    sha_input = workflow["on"]["workflow_dispatch"]["inputs"]["sha"]
    run = next(step["run"] for step in _steps(workflow) if "shipline rollback" in step.get("run", ""))

    assert list(workflow["on"]) == ["workflow_dispatch"]
    assert sha_input["required"] is False
    assert sha_input["default"] == ""
    assert "${{" not in run


@pytest.mark.parametrize("name", ["ci.yml", "deploy-staging.yml", "rollback-staging.yml"])
def test_actions_pinned_and_checkout_without_credentials(name):
    workflow = _load(name)

    for step in _steps(workflow):
        if "uses" not in step:
            continue
        assert FULL_SHA_PIN.fullmatch(step["uses"]), step["uses"]
        if step["uses"].startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", ["ci.yml", "deploy-staging.yml", "rollback-staging.yml"])
def test_run_scripts_take_no_expressions(name):
    for step in _steps(_load(name)):
        assert "${{" not in step.get("run", ""), step.get("name")


def test_ci_permissions_read_only():
    assert _load("ci.yml")["permissions"] == {"contents": "read"}


def test_artifact_uploads_skip_env_dump():
    for name in ("deploy-staging.yml", "rollback-staging.yml"):
        for step in _steps(_load(name)):
            if step.get("uses", "").startswith("actions/upload-artifact@"):
                assert step["if"] == "always()"
                assert "!artifacts/**/command" in step["with"]["path"].splitlines()


def test_docs_list_every_secret_the_workflows_use():
    docs = (REPO_ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    used: set[str] = set()
    for path in WORKFLOWS.glob("*.yml"):
        used |= set(re.findall(r"secrets\.([A-Z_]+)", path.read_text(encoding="utf-8")))

    assert used - {"GITHUB_TOKEN"}
    for name in sorted(used):
        assert f"`{name}`" in docs, name
