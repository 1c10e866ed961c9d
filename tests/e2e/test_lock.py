"""End-to-end: the deploy lock serialises deploys, names its holder, and breaks stale or forced locks."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.labkit import Lab, PlaybookRun

pytestmark = pytest.mark.lab

# The values test_deploy.py and test_rollback.py use, so one session builds them once.
SHA_A = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
SHA_B = "b2c3d4e5f60718293a4b5c6d7e8f901234567890"
SHA_C = "c3d4e5f60718293a4b5c6d7e8f9012345678901a"

APP_DIR = "/srv/classroom-manager-staging"
LOCK = f"{APP_DIR}/.deploy.lock"
LOCK_LOG = f"{APP_DIR}/deploy-lock.log"


def deploy(lab: Lab, sha: str, **extravars: object) -> PlaybookRun:
    return lab.playbook("deploy", {"shipline_sha": sha, **extravars})


def words(run: PlaybookRun) -> str:
    """Return the run's output with line breaks and indentation collapsed, as the YAML callback wraps lines."""
    return " ".join(run.output.split())


def history(lab: Lab) -> list[dict]:
    return json.loads(lab.on_server("cat", f"{APP_DIR}/releases.json").stdout)["records"]


def lock_exists(lab: Lab) -> bool:
    return lab.on_server("test", "-d", LOCK, check=False).returncode == 0


def plant_lock(lab: Lab, holder: str, age_seconds: float) -> None:
    """Create a lock as a run of ``holder`` that started ``age_seconds`` ago would have."""
    since = (datetime.now(UTC) - timedelta(seconds=age_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    details = json.dumps(
        {
            "holder": holder,
            "sha": "f" * 40,
            "run": "https://ci.example/7",
            "action": "deploy",
            "since": since,
            "token": "planted-by-test",
        }
    )
    lab.on_server(
        "sh", "-c", f"mkdir {LOCK} && printf '%s' '{details}' > {LOCK}/holder.json && chown -R deploy:deploy {LOCK}"
    )


def last_log_entry(lab: Lab) -> dict:
    return json.loads(lab.on_server("tail", "-n", "1", LOCK_LOG).stdout)


def start(target, *args, **kwargs) -> tuple[threading.Thread, dict]:
    """Run ``target`` in a thread; the returned dict gets its result under "run"."""
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(run=target(*args, **kwargs)))
    thread.start()
    return thread, box


def wait_for_lock(lab: Lab, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not lock_exists(lab):
        assert time.monotonic() < deadline, f"no deploy took {LOCK} within {seconds} s"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def serving(provisioned: Lab) -> Lab:
    """The server serving release A, with A, B and C built and no lock held."""
    lab = provisioned
    lab.build(SHA_A)
    lab.build(SHA_B)
    lab.build(SHA_C)
    lab.on_server("rm", "-rf", LOCK)
    run = deploy(lab, SHA_A)
    assert run.returncode == 0, run.output[-4000:]
    return lab


def test_concurrent_deploys_run_one_after_other(serving: Lab) -> None:
    # Two releases that do not serve yet: a redeploy of the serving one records nothing.
    lab = serving
    first, first_box = start(deploy, lab, SHA_B, shipline_deployed_by="runner-b")
    second, second_box = start(deploy, lab, SHA_C, shipline_deployed_by="runner-c")
    first.join()
    second.join()

    runs = [first_box["run"], second_box["run"]]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(run.output[-3000:] for run in runs)
    assert sum("Waiting up to 600 s for it" in words(run) for run in runs) == 1
    records = history(lab)[-2:]
    assert {record["sha"] for record in records} == {SHA_B, SHA_C}
    assert records[0]["finished_at"] <= records[1]["started_at"]
    assert not lock_exists(lab)


def test_short_wait_fails_naming_holder(serving: Lab, tmp_path: Path) -> None:
    lab = serving
    holder, holder_box = start(deploy, lab, SHA_B, shipline_deployed_by="runner-holding")
    wait_for_lock(lab)
    blocked = deploy(
        lab, SHA_A, shipline_deployed_by="runner-blocked", shipline_lock_timeout=3, shipline_result_dir=str(tmp_path)
    )
    holder.join()

    result = json.loads((tmp_path / "staging-1.json").read_text())
    assert holder_box["run"].returncode == 0, holder_box["run"].output[-3000:]
    assert blocked.returncode != 0
    assert "is still held by runner-holding" in words(blocked)
    assert result["outcome"] == "failed"
    assert result["failed_phase"] == "lock"
    assert result["lock"]["holder"] == "runner-holding"
    assert result["lock"]["sha"] == SHA_B
    assert all(record["deployed_by"] != "runner-blocked" for record in history(lab))


def test_stale_lock_is_broken_and_logged(serving: Lab) -> None:
    lab = serving
    plant_lock(lab, "stale-holder", age_seconds=7200)
    run = deploy(lab, SHA_A, shipline_deployed_by="runner-after-stale")
    entry = last_log_entry(lab)
    assert run.returncode == 0, run.output[-4000:]
    assert "Broke the stale deploy lock held by stale-holder" in words(run)
    assert (entry["reason"], entry["holder"], entry["by"]) == ("stale", "stale-holder", "runner-after-stale")
    assert not lock_exists(lab)


def test_forced_unlock_breaks_young_lock(serving: Lab) -> None:
    lab = serving
    plant_lock(lab, "live-holder", age_seconds=5)
    run = deploy(lab, SHA_A, shipline_deployed_by="runner-forcing", shipline_lock_force=True)
    entry = last_log_entry(lab)
    assert run.returncode == 0, run.output[-4000:]
    assert "Broke the forced deploy lock held by live-holder" in words(run)
    assert (entry["reason"], entry["holder"]) == ("forced", "live-holder")
    assert not lock_exists(lab)
