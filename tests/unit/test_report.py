"""Report JSON, Markdown summary and phase timings built from a synthetic runner event list."""

from __future__ import annotations

import json

from shipline.outcome import HostResult
from shipline.redaction import Redactor
from shipline.report import (
    PhaseDuration,
    Report,
    append_step_summary,
    health_verdict,
    phase_durations,
    render_markdown,
    render_text_summary,
    write_json,
)

LEAK_MARKER = "pg-password-must-not-leak"


def _event(counter: int, second: float, role: str | None, event: str = "runner_on_ok") -> dict[str, object]:
    data = {"role": role, "task": f"task {counter}", "host": "web1"} if role else {}
    return {
        "event": event,
        "counter": counter,
        "created": f"2026-03-01T10:00:{second:06.3f}",
        "event_data": data,
    }


EVENTS = [
    _event(1, 0.0, None, "playbook_on_start"),
    _event(2, 1.0, "preflight", "playbook_on_task_start"),
    _event(3, 3.0, "preflight"),
    _event(4, 4.0, "compose", "playbook_on_task_start"),
    _event(5, 9.5, "compose"),
    _event(6, 10.0, "health", "playbook_on_task_start"),
    _event(7, 12.0, "health"),
    _event(8, 13.0, "rollback", "playbook_on_task_start"),
    _event(9, 15.0, "custom_role"),
    _event(10, 16.0, "health", "playbook_on_task_start"),
    _event(11, 17.5, "health"),
    _event(12, 18.0, None, "playbook_on_stats"),
]


def _report() -> Report:
    return Report(
        command="deploy",
        inventory="inventories/staging",
        environment="staging",
        outcome="rolled_back",
        exit_code=1,
        reason="staging-1: rolled_back in phase health: HTTP 502",
        started_at="2026-03-01T10:00:00+00:00",
        finished_at="2026-03-01T10:00:18+00:00",
        duration_seconds=18.0,
        artifacts_dir="artifacts/deploy-20260301T100000Z",
        sha="0123456789abcdef0123456789abcdef01234567",
        image_repository="ghcr.io/acme/app",
        deployed_by="alice (run 42)",
        ci_run_url="https://github.com/acme/app/actions/runs/42",
        runner_status="failed",
        hosts=[
            HostResult(
                host="staging-1",
                outcome="rolled_back",
                sha="0123456789abcdef0123456789abcdef01234567",
                previous_sha="fedcba9876543210",
                serving_sha="fedcba9876543210",
                failed_phase="health",
                message=f"HTTP 502 | upstream said {LEAK_MARKER}",
                health={"status_code": 502, "elapsed": 0.31, "body_excerpt": "bad gateway"},
            )
        ],
        phases=phase_durations(EVENTS),
    )


def test_phase_durations_charge_time_to_roles():
    phases = {phase.phase: phase.seconds for phase in phase_durations(EVENTS)}

    assert phases == {
        "preflight": 3.0,
        "compose": 6.0,
        "health": 5.0,
        "rollback": 2.0,
        "custom_role": 1.0,
    }


def test_phase_durations_follow_playbook_order():
    names = [phase.phase for phase in phase_durations(EVENTS)]

    assert names == ["preflight", "compose", "health", "rollback", "custom_role"]


def test_phase_durations_sort_by_counter_and_skip_bad_stamps():
    events = [_event(3, 5.0, None), _event(1, 0.0, "preflight"), {"counter": 2, "created": "garbage"}]

    assert phase_durations(events) == [PhaseDuration("preflight", 5.0)]


def test_json_report_has_fields_and_no_secret(tmp_path):
    path = tmp_path / "out" / "report.json"
    redactor = Redactor([], {"STAGING_POSTGRES_PASSWORD": LEAK_MARKER})

    write_json(_report(), path, redactor)
    text = path.read_text()
    data = json.loads(text)

    assert LEAK_MARKER not in text
    assert data["command"] == "deploy"
    assert data["exit_code"] == 1
    assert data["hosts"][0]["failed_phase"] == "health"
    assert data["phases"][0] == {"phase": "preflight", "seconds": 3.0}
    assert data["ci_run_url"] == "https://github.com/acme/app/actions/runs/42"


def test_markdown_summary_lists_hosts_phases_and_link():
    redactor = Redactor([], {"STAGING_POSTGRES_PASSWORD": LEAK_MARKER})

    markdown = render_markdown(_report(), redactor)

    assert markdown.startswith("## Shipline deploy to staging: rolled_back\n")
    assert "| Exit code | 1 (failed, the server runs the release it ran before) |" in markdown
    assert (
        "| staging-1 | rolled_back | fedcba987654 | fedcba987654 | health | "
        "unhealthy: HTTP 502 in 0.31 s, body 'bad gateway' | HTTP 502 \\| upstream said ******** |"
    ) in markdown
    assert "| compose | 6.0 |" in markdown
    assert (
        "[https://github.com/acme/app/actions/runs/42](https://github.com/acme/app/actions/runs/42)"
        in markdown
    )
    assert LEAK_MARKER not in markdown


def test_step_summary_appends_only_when_set(tmp_path):
    summary = tmp_path / "summary.md"

    assert append_step_summary(_report(), {}) is False
    assert append_step_summary(_report(), {"GITHUB_STEP_SUMMARY": str(summary)}) is True
    assert append_step_summary(_report(), {"GITHUB_STEP_SUMMARY": str(summary)}) is True
    assert summary.read_text().count("## Shipline deploy") == 2


def test_text_summary_names_reason_and_hosts():
    text = render_text_summary(_report())

    assert text.splitlines()[0] == (
        "shipline deploy 0123456789ab on staging: rolled_back in 18.0 s "
        "(exit 1: failed, the server runs the release it ran before)"
    )
    assert "  reason: staging-1: rolled_back in phase health: HTTP 502" in text
    assert "  phases: preflight 3.0s, compose 6.0s, health 5.0s, rollback 2.0s, custom_role 1.0s" in text


def test_health_verdict():
    assert health_verdict(None) == "not checked"
    assert health_verdict({"status_code": 200, "elapsed": 0.1234, "version": "abc"}) == (
        "healthy: HTTP 200 in 0.12 s, version abc"
    )
    assert health_verdict({"status_code": None}) == "unhealthy: no response"
