"""Read the JSON-lines timeline that callback_plugins/shipline_bench_timeline.py writes during a run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
CALLBACK_NAME = "shipline_bench_timeline"
PATH_VARIABLE = "SHIPLINE_BENCH_TIMELINE"

# Time spent in tasks that belong to no role (the playbook's own tasks and the fact
# gathering, if any) is reported under this name.
PLAYBOOK_STEP = "(playbook)"


def callback_env(path: Path, enabled: str = "") -> dict[str, str]:
    """Return the environment that makes ansible-playbook write its timeline to ``path``.

    ``enabled`` is the ANSIBLE_CALLBACKS_ENABLED value already in force, kept beside ours.
    """
    callbacks = ",".join(name for name in (enabled, CALLBACK_NAME) if name)
    return {
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
        "ANSIBLE_CALLBACKS_ENABLED": callbacks,
        PATH_VARIABLE: str(path),
    }


def step_name(event: dict) -> str:
    """Return the step a task event belongs to, from the file that defines the task.

    A task in a role's task file is ``<role>/<file stem>``, such as ``image_deploy/pull``.
    The argument validation that Ansible adds from meta/argument_specs.yml counts under the
    role's name. A task in the playbook, including an include_role, is PLAYBOOK_STEP.
    """
    task_file = event.get("path", "").rsplit(":", 1)[0]
    if "/roles/" not in task_file or not event["role"]:
        return PLAYBOOK_STEP
    if "/tasks/" in task_file:
        return f"{event['role']}/{Path(task_file).stem}"
    return event["role"]


@dataclass
class Timeline:
    """The events of one playbook run, in the order the plugin wrote them."""

    events: list[dict] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Timeline:
        """Read a timeline file; a missing file (the run died before its first task) gives an empty one."""
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return cls()
        return cls([json.loads(line) for line in lines if line.strip()])

    def first_failure(self, host: str | None = None) -> dict | None:
        """Return the first result that failed and was not ignored (the run's verdict), or None."""
        for event in self.events:
            if event["event"] != "result" or event["status"] not in ("failed", "unreachable"):
                continue
            if event.get("ignore_errors") or (host and event["host"] != host):
                continue
            return event
        return None

    def host_task_start(self, uuid: str, host: str) -> float | None:
        """Return when ``host`` started the task with ``uuid``, or None if it never did."""
        for event in self.events:
            if event["event"] == "host_task_start" and event["uuid"] == uuid and event["host"] == host:
                return event["time"]
        return None

    def seconds_by_step(self) -> dict[str, float]:
        """Return the wall time between consecutive task starts, summed per role task file.

        A step is ``<role>/<task file>``, such as ``image_deploy/pull``. Each task is charged
        from its start to the start of the next task (the last one to the final stats), so
        the values add up to the run from its first task to its end.
        """
        starts = [event for event in self.events if event["event"] == "task_start"]
        ends = [event for event in self.events if event["event"] == "stats"]
        if not starts:
            return {}
        boundaries = [event["time"] for event in starts[1:]]
        boundaries.append(ends[-1]["time"] if ends else self.events[-1]["time"])
        totals: dict[str, float] = {}
        for event, end in zip(starts, boundaries, strict=True):
            step = step_name(event)
            totals[step] = totals.get(step, 0.0) + (end - event["time"])
        return totals
