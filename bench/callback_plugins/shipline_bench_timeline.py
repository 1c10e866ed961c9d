"""Ansible callback plugin: write a JSON-lines timeline of a playbook run for the benchmark runner."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: shipline_bench_timeline
type: aggregate
short_description: Write one JSON line per task start, task result and the final stats
description:
  - Appends events to the file named by O(path), each a JSON object with C(event) and C(time),
    the wall-clock time in seconds since the epoch (Python C(time.time())), so that a benchmark
    can set them against samples that other processes take on the same machine.
  - Events are C(playbook_start), C(task_start) (task name, role and C(file:line)),
    C(host_task_start), C(result) (host, status C(ok), C(changed), C(failed), C(skipped) or
    C(unreachable), whether the failure was ignored, and the module's own C(elapsed) seconds
    when it returns them) and C(stats) (the PLAY RECAP counts per host).
  - Prints nothing, so the run's normal output is unchanged.
requirements:
  - Enable it with C(ANSIBLE_CALLBACKS_ENABLED=shipline_bench_timeline) and put its folder on
    C(ANSIBLE_CALLBACK_PLUGINS).
options:
  path:
    description: File the events are appended to. Without it the plugin writes nothing.
    type: path
    env:
      - name: SHIPLINE_BENCH_TIMELINE
"""

EXAMPLES = r"""
# SHIPLINE_BENCH_TIMELINE=/tmp/deploy.jsonl \
# ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins \
# ANSIBLE_CALLBACKS_ENABLED=shipline_bench_timeline \
#   ansible-playbook -i inventories/lab playbooks/deploy.yml -e shipline_sha=...
"""

RETURN = r"""
# A callback plugin returns nothing to tasks; see the description for the events it writes.
"""

# Ansible plugins keep DOCUMENTATION above the imports, where ansible-doc finds it first.
import json  # noqa: E402
import time  # noqa: E402

from ansible.plugins.callback import CallbackBase  # noqa: E402


def split_task_name(full_name: str) -> tuple[str, str]:
    """Split ``role : task`` as Ansible prints it into (role, task); role is empty outside roles."""
    role, separator, task = full_name.partition(" : ")
    if not separator:
        return "", full_name
    return role, task


class CallbackModule(CallbackBase):
    """Write the timeline events; see DOCUMENTATION."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "shipline_bench_timeline"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._handle = None

    def set_options(self, task_keys=None, var_options=None, direct=None) -> None:
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        path = self.get_option("path")
        if path:
            # Line-buffered, so that a run that is killed still leaves every finished event.
            self._handle = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (closed in on_stats)

    def _write(self, event: str, **fields) -> None:
        if self._handle is None:
            return
        self._handle.write(json.dumps({"event": event, "time": time.time(), **fields}) + "\n")

    def _task_fields(self, task) -> dict:
        role, name = split_task_name(task.get_name())
        return {"task": name, "role": role, "uuid": task._uuid, "path": task.get_path() or ""}

    def v2_playbook_on_start(self, playbook) -> None:
        self._write("playbook_start", playbook=playbook._file_name)

    def v2_playbook_on_task_start(self, task, is_conditional) -> None:
        self._write("task_start", **self._task_fields(task))

    def v2_playbook_on_handler_task_start(self, task) -> None:
        self._write("task_start", handler=True, **self._task_fields(task))

    def v2_runner_on_start(self, host, task) -> None:
        self._write("host_task_start", host=host.get_name(), **self._task_fields(task))

    def _result(self, result, status: str, ignore_errors: bool = False) -> None:
        changed = bool(result._result.get("changed", False))
        extra = {}
        # Modules that time their own work, such as the health check, return it as elapsed.
        if isinstance(result._result.get("elapsed"), (int, float)):
            extra["elapsed"] = result._result["elapsed"]
        self._write(
            "result",
            host=result._host.get_name(),
            status="changed" if status == "ok" and changed else status,
            ignore_errors=ignore_errors,
            **extra,
            **self._task_fields(result._task),
        )

    def v2_runner_on_ok(self, result) -> None:
        self._result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        self._result(result, "failed", ignore_errors)

    def v2_runner_on_skipped(self, result) -> None:
        self._result(result, "skipped")

    def v2_runner_on_unreachable(self, result) -> None:
        self._result(result, "unreachable")

    def v2_playbook_on_stats(self, stats) -> None:
        hosts = {host: stats.summarize(host) for host in sorted(stats.processed)}
        self._write("stats", hosts=hosts)
        if self._handle is not None:
            self._handle.close()
            self._handle = None
