"""Tests of the release history filters: trimming, kept releases, last good release and references."""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

FILTER_PATH = Path(__file__).resolve().parents[2] / "roles/release_history/filter_plugins/release_history.py"
spec = importlib.util.spec_from_file_location("release_history_filters", FILTER_PATH)
history = importlib.util.module_from_spec(spec)
spec.loader.exec_module(history)


def sha(number: int) -> str:
    return f"{number:07x}" + "0" * 33


def record(number: int, outcome: str = "deployed", serving: int | None = None, action: str = "deploy") -> dict:
    """A record for release ``number`` with one image whose reference and digest name the number."""
    if serving is None and outcome == "deployed":
        serving = number
    return {
        "sha": sha(number),
        "action": action,
        "outcome": outcome,
        "serving_sha": sha(serving) if serving is not None else None,
        "images": {
            "backend": {"reference": f"r/backend:staging-{sha(number)}", "digest": f"r/backend@sha256:{number:064x}"},
            "postgres": {"reference": "r/postgres:17", "digest": "r/postgres@sha256:" + "f" * 64},
        },
    }


def deploy_all(numbers: list[int], keep: int = 5, max_records: int = 20) -> list[dict]:
    records: list[dict] = []
    for number in numbers:
        records = history.release_history_update(records, record(number), keep, max_records)["records"]
    return records


def test_update_keeps_last_five_deployed_releases() -> None:
    records = deploy_all(list(range(1, 8)))
    assert [item["sha"] for item in records] == [sha(number) for number in range(3, 8)]


def test_update_reports_dropped_records_and_shas() -> None:
    records = deploy_all(list(range(1, 6)))
    result = history.release_history_update(records, record(6), 5, 20)
    assert [item["sha"] for item in result["dropped"]] == [sha(1)]
    assert result["dropped_shas"] == [sha(1)]
    assert result["kept_shas"] == [sha(number) for number in range(6, 1, -1)]


def test_update_bounds_failed_records_by_max_records() -> None:
    records = deploy_all([1])
    for _ in range(30):
        records = history.release_history_update(records, record(9, "rolled_back", serving=1), 5, 20)["records"]
    assert len(records) == 21
    assert records[0]["sha"] == sha(1)
    assert records[0]["outcome"] == "deployed"


def test_failed_runs_never_push_out_kept_release() -> None:
    records = deploy_all([1, 2])
    for _ in range(25):
        records = history.release_history_update(records, record(9, "failed", serving=2), 5, 3)["records"]
    assert {item["sha"] for item in records if item["outcome"] == "deployed"} == {sha(1), sha(2)}


def test_update_keeps_folder_of_sha_with_remaining_records() -> None:
    records = deploy_all([1, 2, 3, 4, 5])
    records = history.release_history_update(records, record(1, "rolled_back", serving=5), 5, 20)["records"]
    result = history.release_history_update(records, record(6), 5, 20)
    assert [item["sha"] for item in result["dropped"]] == [sha(1)]
    assert result["dropped_shas"] == []


def test_redeployed_release_counts_once() -> None:
    records = deploy_all([1, 2, 1, 3, 4, 5, 6])
    summary = history.release_history_summary(records, 5)
    assert summary["kept_shas"] == [sha(6), sha(5), sha(4), sha(3), sha(1)]


def test_summary_last_good_after_rolled_back_deploy() -> None:
    records = [*deploy_all([1, 2]), record(3, "rolled_back", serving=2)]
    summary = history.release_history_summary(records, 5)
    assert summary["last_good_sha"] == sha(2)
    assert summary["previous_sha"] == sha(1)


def test_summary_last_good_skips_failed_rollback() -> None:
    records = [*deploy_all([1, 2]), record(3, "rollback_failed", serving=None)]
    assert history.release_history_summary(records, 5)["last_good_sha"] == sha(2)


def test_summary_follows_manual_rollback() -> None:
    records = [*deploy_all([1, 2, 3]), record(1, "rolled_back", serving=1, action="rollback")]
    summary = history.release_history_summary(records, 5)
    assert summary["last_good_sha"] == sha(1)
    assert summary["previous_sha"] == ""


def test_summary_of_empty_history() -> None:
    summary = history.release_history_summary([], 5)
    assert summary["kept_shas"] == []
    assert summary["last_good_sha"] == ""
    assert summary["previous_sha"] == ""


def test_kept_references_leave_out_failed_releases() -> None:
    records = [*deploy_all([1]), record(2, "rolled_back", serving=1)]
    summary = history.release_history_summary(records, 5)
    assert f"r/backend:staging-{sha(2)}" in summary["references"]
    assert f"r/backend:staging-{sha(2)}" not in summary["kept_references"]
    assert "r/postgres:17" in summary["kept_references"]


@pytest.mark.parametrize(
    "records",
    [{"records": []}, [{"outcome": "deployed"}], [{"sha": sha(1)}], "not a list"],
)
def test_malformed_records_are_rejected(records: object) -> None:
    with pytest.raises(AnsibleFilterError):
        history.release_history_summary(records, 5)


def test_keep_below_one_is_rejected() -> None:
    with pytest.raises(AnsibleFilterError, match="keep must be at least 1"):
        history.release_history_update([], record(1), 0, 20)


def slurped(document: object, source: str) -> dict:
    return {"content": base64.b64encode(json.dumps(document).encode()).decode(), "source": source}


def test_protected_references_use_each_file_keep() -> None:
    staging = {"keep": 1, "records": deploy_all([1, 2])}
    production = {"keep": 5, "records": deploy_all([7, 8])}
    result = history.release_history_protected_references(
        [slurped(staging, "/srv/a/releases.json"), slurped(production, "/srv/b/releases.json")]
    )
    assert f"r/backend:staging-{sha(1)}" not in result["references"]
    assert f"r/backend:staging-{sha(2)}" in result["references"]
    assert f"r/backend:staging-{sha(7)}" in result["references"]
    assert result["errors"] == []


def test_protected_references_report_unreadable_files() -> None:
    unreadable = {"failed": True, "msg": "Permission denied", "item": "/srv/other/releases.json"}
    corrupt = {"content": base64.b64encode(b"{not json").decode(), "source": "/srv/bad/releases.json"}
    result = history.release_history_protected_references([unreadable, corrupt])
    assert len(result["errors"]) == 2
    assert result["errors"][0].startswith("/srv/other/releases.json: Permission denied")
    assert result["errors"][1].startswith("/srv/bad/releases.json: ")
