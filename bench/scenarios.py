"""The measured scenarios: each drives the lab through one kind of deploy and returns its numbers."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.labhost import (
    INVENTORY,
    VENV_BIN,
    AppSettings,
    on_server,
    read_settings,
    remove_release_images,
    ssh_command,
)
from bench.probes import HealthProbe, Sample, downtime, wait_until_healthy
from bench.timeline import Timeline, callback_env
from tests.labkit import REPO, Lab, PlaybookRun

log = logging.getLogger(__name__)

# Two good releases that the benchmark alternates between, so that every measured deploy
# switches images, and one whose backend reports unhealthy.
GOOD_SHAS = ("bec1000000000000000000000000000000000001", "bec2000000000000000000000000000000000002")
UNHEALTHY_SHA = "becbad0000000000000000000000000000000003"

# The floor runs from a copy of a rendered release folder, so that a release history that
# prunes old folders cannot take it away between repetitions.
FLOOR_ROOT = "/srv/shipline-bench-floor"

DOWNTIME_INTERVAL = 0.05
FAILURE_PROBE_INTERVAL = 0.1


class BenchError(RuntimeError):
    """A step the measurement depends on failed, so its numbers would mean nothing."""


@dataclass
class Deploy:
    """One timed ansible-playbook run of deploy.yml."""

    sha: str
    hosts: list[str]
    started: float
    seconds: float
    run: PlaybookRun
    timeline: Timeline
    log_path: Path

    @property
    def changed(self) -> int:
        return self.run.recap_changed()


@dataclass
class Bench:
    """A lab prepared for the benchmark, and which release the runner last put on each server."""

    lab: Lab
    hosts: list[str]
    log_dir: Path
    recovery_timeout: float = 30.0
    running: dict[str, str] = field(default_factory=dict)
    settings: AppSettings | None = None
    _run_count: int = 0

    def __post_init__(self) -> None:
        self.servers = {server["name"]: server for server in self.lab.state["servers"]}
        missing = [host for host in self.hosts if host not in self.servers]
        if missing:
            raise BenchError(f"lab {self.lab.name} has no server {', '.join(missing)}; start it with more servers")
        self.settings = read_settings(self.lab, self.hosts[0])

    # Helpers -----------------------------------------------------------------------------

    def deploy_command(self, sha: str, hosts: list[str]) -> list[str]:
        return [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            INVENTORY,
            "playbooks/deploy.yml",
            "-e",
            f"shipline_sha={sha}",
            "--limit",
            ",".join(hosts),
        ]

    def deploy(self, sha: str, hosts: list[str], purpose: str, check: bool = True) -> Deploy:
        """Run deploy.yml for ``sha`` on ``hosts`` and time it from process start to exit."""
        self._run_count += 1
        stem = f"{self._run_count:03d}-{purpose}-{sha[:7]}"
        timeline_path = self.log_dir / f"{stem}.jsonl"
        log_path = self.log_dir / f"{stem}.log"
        env = self.lab.env(callback_env(timeline_path, os.environ.get("ANSIBLE_CALLBACKS_ENABLED", "")))
        log.info("deploy %s to %s (%s)", sha[:7], ",".join(hosts), purpose)
        started = time.time()
        start = time.monotonic()
        completed = subprocess.run(
            self.deploy_command(sha, hosts), cwd=REPO, env=env, capture_output=True, text=True, check=False
        )
        seconds = time.monotonic() - start
        output = completed.stdout + completed.stderr
        log_path.write_text(output)
        run = PlaybookRun(completed.returncode, output, seconds)
        if check and run.returncode != 0:
            raise BenchError(f"deploy of {sha} to {','.join(hosts)} ({purpose}) failed; output in {log_path}")
        if run.returncode == 0:
            for host in hosts:
                self.running[host] = sha
        return Deploy(sha, hosts, started, seconds, run, Timeline.load(timeline_path), log_path)

    def container(self, host: str) -> str:
        return self.servers[host]["container"]

    def health_url(self, host: str) -> str:
        return f"http://127.0.0.1:{self.servers[host]['http_port']}{self.settings.health_path}"

    def tag(self, sha: str) -> str:
        return f"{self.settings.environment}-{sha}"

    def switch_target(self, hosts: list[str]) -> str:
        """Return the good release that none of ``hosts`` runs, with its images removed from them.

        Servers that run something other than the first one's release are first brought to
        it with an untimed deploy, so that the measured deploy switches every server.
        """
        reference = self.running.get(hosts[0], GOOD_SHAS[0])
        stragglers = [host for host in hosts if self.running.get(host) != reference]
        if stragglers:
            self.deploy(reference, stragglers, "align")
        target = GOOD_SHAS[1] if reference == GOOD_SHAS[0] else GOOD_SHAS[0]
        for host in hosts:
            remove_release_images(self.container(host), self.tag(target))
        return target

    # Setup -------------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Deploy both good releases everywhere once, then copy their folders for the floor."""
        for sha in GOOD_SHAS:
            self.deploy(sha, self.hosts, "warm-up")
        for host in self.hosts:
            for sha in GOOD_SHAS:
                self.copy_release_for_floor(host, sha)

    def copy_release_for_floor(self, host: str, sha: str) -> None:
        user = self.settings.deploy_user
        script = (
            f"set -e; install -d -o {user} -g {user} -m 0750 {FLOOR_ROOT}; rm -rf {FLOOR_ROOT}/{sha}; "
            f"cp -a {self.settings.release_dir(sha)} {FLOOR_ROOT}/{sha}"
        )
        on_server(self.container(host), "sh", "-c", script)

    # Scenarios ---------------------------------------------------------------------------

    def measure_deploy(self, host: str) -> dict:
        """Time a deploy that switches ``host`` to the other good release, pulling its images."""
        target = self.switch_target([host])
        deploy = self.deploy(target, [host], "deploy")
        return {
            "seconds": deploy.seconds,
            "changed": deploy.changed,
            "steps": deploy.timeline.seconds_by_step(),
        }

    def measure_noop(self, host: str) -> dict:
        """Time a second deploy of the release that ``host`` already runs, and count its changed tasks."""
        sha = self.running[host]
        deploy = self.deploy(sha, [host], "no-op")
        return {"seconds": deploy.seconds, "changed": deploy.changed}

    def floor_remote_command(self, sha: str) -> str:
        compose = f"docker compose --project-name {self.settings.project} --file compose.yml"
        return (
            f"cd {FLOOR_ROOT}/{sha} && {compose} pull --quiet && "
            f"{compose} up --detach --remove-orphans --wait --wait-timeout 120"
        )

    def measure_floor(self, host: str) -> dict:
        """Time the least a switch can cost: one SSH command that pulls and starts, then health polling."""
        target = self.switch_target([host])
        command = ssh_command(self.lab, self.servers[host], self.settings, self.floor_remote_command(target))
        log.info("floor: switch %s to %s with one SSH command", host, target[:7])
        started = time.time()
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise BenchError(f"floor command on {host} failed (exit {completed.returncode}): {completed.stderr}")
        compose_done = time.time()
        healthy = wait_until_healthy(self.health_url(host), target, timeout=60, interval=DOWNTIME_INTERVAL)
        if healthy is None:
            raise BenchError(f"release {target} did not report healthy on {host} within 60 s of the floor command")
        self.running[host] = target
        return {"seconds": healthy.finished - started, "compose_seconds": compose_done - started}

    def measure_downtime(self, host: str) -> dict:
        """Count failed health requests and the longest unanswered gap while a deploy switches ``host``."""
        target = self.switch_target([host])
        with HealthProbe(self.health_url(host), DOWNTIME_INTERVAL) as probe:
            time.sleep(0.5)
            deploy = self.deploy(target, [host], "downtime")
            time.sleep(0.5)
        return {"deploy_seconds": deploy.seconds, **downtime(probe.samples)}

    def measure_failure(self, host: str) -> dict:
        """Time an unhealthy release from deploy start to the verdict, and on to the old release's health.

        The verdict is the run's first failed task that was not ignored. The old release counts
        as back at the first health response after the verdict that reports it healthy. When
        none comes within ``recovery_timeout`` seconds of the playbook's exit, recovery is None
        and the runner restores the old release with a deploy of its own.
        """
        previous = self.running[host]
        remove_release_images(self.container(host), self.tag(UNHEALTHY_SHA))
        with HealthProbe(self.health_url(host), FAILURE_PROBE_INTERVAL) as probe:
            deploy = self.deploy(UNHEALTHY_SHA, [host], "unhealthy", check=False)
            if deploy.run.returncode == 0:
                raise BenchError(
                    f"the unhealthy release {UNHEALTHY_SHA} deployed without failing; see {deploy.log_path}"
                )
            verdict = deploy.timeline.first_failure(host)
            if verdict is None:
                raise BenchError(f"the failed deploy left no failed task in its timeline; see {deploy.log_path}")
            back = self._wait_for_release(probe, previous, after=verdict["time"])
        task_started = deploy.timeline.host_task_start(verdict["uuid"], host)
        away = [s for s in probe.samples if s.started >= deploy.started and not self._serves(s, previous)]
        result = {
            "deploy_seconds": deploy.seconds,
            "verdict_task": f"{verdict['role']} : {verdict['task']}" if verdict["role"] else verdict["task"],
            "to_verdict": verdict["time"] - deploy.started,
            "check_to_verdict": verdict["time"] - task_started if task_started else None,
            # The failing module's own measure, when it reports one (the health check does).
            "check_elapsed": verdict.get("elapsed"),
            "verdict_to_recovery": back.finished - verdict["time"] if back else None,
            # From the first response that did not come healthy from the old release to its return.
            "outage": back.finished - away[0].started if back and away else None,
        }
        if back is None:
            self.running.pop(host, None)
            self.deploy(previous, [host], "restore")
        else:
            self.running[host] = previous
        return result

    @staticmethod
    def _serves(sample: Sample, sha: str) -> bool:
        return sample.healthy and sample.version == sha

    def _wait_for_release(self, probe: HealthProbe, sha: str, after: float) -> Sample | None:
        """Return the first sample that ended after ``after`` with ``sha`` healthy, or None at the timeout."""
        deadline = time.monotonic() + self.recovery_timeout
        while True:
            for sample in list(probe.samples):
                if sample.finished >= after and self._serves(sample, sha):
                    return sample
            if time.monotonic() >= deadline:
                return None
            time.sleep(FAILURE_PROBE_INTERVAL)

    def measure_scale(self, count: int) -> dict:
        """Time one deploy that switches the first ``count`` servers at once."""
        hosts = self.hosts[:count]
        target = self.switch_target(hosts)
        deploy = self.deploy(target, hosts, f"scale-{count}")
        return {"servers": count, "seconds": deploy.seconds}
