"""End-to-end: a release that crashes after its first healthy response fails the stability window."""

from __future__ import annotations

import pytest

from tests.labkit import Lab

pytestmark = pytest.mark.lab

SHA_SERVING = "5afe000000000000000000000000000000000c01"
SHA_CRASHES = "5afe000000000000000000000000000000000c02"


def health_version(lab: Lab) -> str:
    status, body = lab.http("/api/health")
    assert status == 200, body
    return body["data"]["version"]


def test_crash_after_healthy_is_rolled_back(provisioned: Lab) -> None:
    lab = provisioned
    lab.build(SHA_SERVING)
    lab.build(SHA_CRASHES, fault="crash-after-healthy")
    first = lab.playbook("deploy", {"shipline_sha": SHA_SERVING})
    assert first.returncode == 0, first.output[-4000:]
    serving_backend = lab.running_images()["backend"]

    run = lab.playbook("deploy", {"shipline_sha": SHA_CRASHES})

    assert run.returncode != 0
    assert "failed in phase stability" in run.output, run.output[-4000:]
    assert "backend (classroom-manager-staging-backend-1) restarted" in run.output
    assert "crash-after-healthy: exiting with code 1" in run.output, "the crashed container's log lines are missing"
    assert f"Rolled back: release {SHA_SERVING} is serving again" in run.output
    assert health_version(lab) == SHA_SERVING
    assert lab.running_images()["backend"] == serving_backend


def test_stable_release_passes_window(provisioned: Lab) -> None:
    lab = provisioned
    lab.build(SHA_SERVING)
    run = lab.playbook("deploy", {"shipline_sha": SHA_SERVING, "stability_window": 3})
    assert run.returncode == 0, run.output[-4000:]
    assert "TASK [stability : Fail the deploy when a container was not stable through the window]" in run.output
