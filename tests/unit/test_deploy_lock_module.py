"""Tests of the shipline_deploy_lock module's lock logic on a real temporary folder."""

from __future__ import annotations

import importlib.util
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

MODULE_PATH = Path(__file__).resolve().parents[2] / "roles/deploy_lock/library/shipline_deploy_lock.py"
spec = importlib.util.spec_from_file_location("shipline_deploy_lock", MODULE_PATH)
lock_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock_module)


def params(folder: Path, **overrides: object) -> dict:
    values = {
        "path": str(folder / ".deploy.lock"),
        "holder": "alice",
        "sha": "a" * 40,
        "run": "https://ci.example/1",
        "action": "deploy",
        "timeout": 0.0,
        "poll": 0.01,
        "stale_after": 1800.0,
        "force": False,
        "log_path": str(folder / "deploy-lock.log"),
        "token": "",
    }
    values.update(overrides)
    return values


def hold(folder: Path, holder: str, age_seconds: float) -> None:
    """Create a lock held by ``holder`` since ``age_seconds`` ago, as another run would."""
    lock = folder / ".deploy.lock"
    lock.mkdir()
    since = datetime.now(UTC) - timedelta(seconds=age_seconds)
    details = {
        "holder": holder,
        "sha": "b" * 40,
        "run": "",
        "action": "deploy",
        "since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "token": "other",
    }
    (lock / "holder.json").write_text(json.dumps(details))


def test_free_lock_is_taken_with_details(tmp_path: Path) -> None:
    result = lock_module.acquire(params(tmp_path))
    details = json.loads((tmp_path / ".deploy.lock" / "holder.json").read_text())
    assert result["acquired"] is True
    assert details["holder"] == "alice"
    assert details["token"] == result["token"]
    assert "token" not in result["lock"]


def test_held_lock_times_out_naming_holder(tmp_path: Path) -> None:
    hold(tmp_path, "bob", age_seconds=10)
    result = lock_module.acquire(params(tmp_path, timeout=0.05))
    assert result["acquired"] is False
    assert result["lock"]["holder"] == "bob"
    assert result["waited"] >= 0.05


def test_lock_released_during_wait_is_taken(tmp_path: Path) -> None:
    hold(tmp_path, "bob", age_seconds=10)
    timer = threading.Timer(0.1, lock_module.remove, [str(tmp_path / ".deploy.lock")])
    timer.start()
    result = lock_module.acquire(params(tmp_path, timeout=5.0))
    timer.join()
    assert result["acquired"] is True
    assert "broken" not in result


def test_stale_lock_is_broken_and_logged(tmp_path: Path) -> None:
    hold(tmp_path, "bob", age_seconds=3600)
    result = lock_module.acquire(params(tmp_path))
    entry = json.loads((tmp_path / "deploy-lock.log").read_text().splitlines()[0])
    assert result["acquired"] is True
    assert result["broken"]["reason"] == "stale"
    assert entry["holder"] == "bob"
    assert entry["by"] == "alice"


def test_force_breaks_young_lock(tmp_path: Path) -> None:
    hold(tmp_path, "bob", age_seconds=1)
    result = lock_module.acquire(params(tmp_path, force=True))
    assert result["acquired"] is True
    assert result["broken"]["reason"] == "forced"


def test_lock_without_details_ages_by_folder_time(tmp_path: Path) -> None:
    (tmp_path / ".deploy.lock").mkdir()
    result = lock_module.acquire(params(tmp_path, timeout=0.02))
    assert result["acquired"] is False
    assert result["lock"]["holder"] == ""


def test_release_removes_own_lock(tmp_path: Path) -> None:
    taken = lock_module.acquire(params(tmp_path))
    result = lock_module.release(params(tmp_path, token=taken["token"]))
    assert result["released"] is True
    assert not (tmp_path / ".deploy.lock").exists()


def test_release_leaves_lock_of_another_run(tmp_path: Path) -> None:
    hold(tmp_path, "bob", age_seconds=1)
    result = lock_module.release(params(tmp_path, token="token-of-this-run"))  # noqa: S106 (a lock id, not a password)
    assert result["released"] is False
    assert (tmp_path / ".deploy.lock" / "holder.json").exists()


@pytest.mark.parametrize("token", ["", "whatever"])
def test_release_of_missing_lock_changes_nothing(tmp_path: Path, token: str) -> None:
    result = lock_module.release(params(tmp_path, token=token))
    assert result == {"changed": False, "released": False, "msg": result["msg"]}
