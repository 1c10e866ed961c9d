"""End-to-end: the ``shipline`` command deploys to the lab through the staging inventory, as CI runs it.

Every run gets the environment a GitHub workflow sets: the STAGING_* secrets (here the
lab's key, host keys and passwords), GITHUB_REPOSITORY in mixed case, GITHUB_RUN_ID and
GITHUB_STEP_SUMMARY. CLASSROOM_POSTGRES_IMAGE and CLASSROOM_REDIS_IMAGE point the
staging inventory at the lab registry's copies, because the lab server has no internet.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.labkit import REPO, VENV_BIN, Lab
from tests.secret_scan import Leak, scan_files, scan_text
from tests.webhooks import WebhookReceiver, webhook_receiver

pytestmark = pytest.mark.lab

SHA_GOOD = "1a00000000000000000000000000000000000001"
SHA_NEXT = "1a00000000000000000000000000000000000002"
SHA_THIRD = "1a00000000000000000000000000000000000003"
SHA_UNHEALTHY = "1a00000000000000000000000000000000000bad"
GITHUB_REPOSITORY = "Acme/Classroom-Manager"
IMAGE_REPOSITORY = "registry.shipline.test:5000/acme/classroom-manager"
INVENTORY = "inventories/staging"
HOST = "staging-1"
APP_DIR = "/srv/classroom-manager-staging"
PROJECT = "classroom-manager-staging"
LOCK_DETAILS = f"{APP_DIR}/.deploy.lock/holder.json"
RUN_TIMEOUT_SECONDS = 900
# The launcher's progress line (on stderr) for a lock wait that ran, as opposed to "skipped".
WAITED_FOR_LOCK = re.compile(rf"^(ok|changed) +{HOST} +deploy_lock : Wait for the deploy lock", re.MULTILINE)
# Variables of this shell that a CI runner would not have, or that the tests set themselves.
AMBIENT_PREFIXES = ("GITHUB_", "STAGING_", "SHIPLINE_", "CLASSROOM_", "ANSIBLE_")


@pytest.fixture(scope="module")
def webhook() -> Iterator[WebhookReceiver]:
    """A webhook receiver on 127.0.0.1 for the whole module. Each run posts to ``hook/<label>``."""
    with webhook_receiver() as receiver:
        yield receiver


@dataclass
class LauncherRun:
    """One finished ``python -m shipline`` process and the files it wrote."""

    label: str
    returncode: int
    stdout: str
    stderr: str
    artifacts_dir: Path
    summary_path: Path

    @property
    def report(self) -> dict:
        return json.loads((self.artifacts_dir / "report.json").read_text(encoding="utf-8"))

    @property
    def host(self) -> dict:
        """The report's entry for the lab's only server."""
        hosts = {entry["host"]: entry for entry in self.report["hosts"]}
        return hosts[HOST]

    @property
    def summary(self) -> str:
        return self.summary_path.read_text(encoding="utf-8") if self.summary_path.exists() else ""

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("ERROR")]

    def tail(self) -> str:
        return f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"


@dataclass
class StartedRun:
    """A ``python -m shipline`` process that may still run."""

    label: str
    process: subprocess.Popen
    artifacts_dir: Path
    summary_path: Path

    def wait(self) -> LauncherRun:
        stdout, stderr = self.process.communicate(timeout=RUN_TIMEOUT_SECONDS)
        return LauncherRun(self.label, self.process.returncode, stdout, stderr, self.artifacts_dir, self.summary_path)


class Launcher:
    """Starts ``python -m shipline`` from the checkout with a CI-shaped environment for the lab."""

    def __init__(self, lab: Lab, workdir: Path, webhook: WebhookReceiver) -> None:
        self.lab = lab
        self.workdir = workdir
        self.webhook = webhook

    def environment(self, label: str, run_id: int) -> dict[str, str]:
        """Return the variables a GitHub deploy job sets, with the lab's values as its secrets."""
        env = {key: value for key, value in os.environ.items() if not key.startswith(AMBIENT_PREFIXES)}
        folder = self.lab.directory
        registry = self.lab.state["registry_server_address"]
        env.update(
            PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            STAGING_HOST="127.0.0.1",
            STAGING_SSH_PORT=str(self.lab.server["ssh_port"]),
            STAGING_USER="deploy",
            STAGING_SSH_KEY=(folder / "deploy_ed25519").read_text(),
            STAGING_KNOWN_HOSTS=(folder / "known_hosts").read_text(),
            SHIPLINE_REGISTRY=registry,
            STAGING_REGISTRY_USERNAME=self.lab.state["registry_username"],
            STAGING_REGISTRY_PASSWORD=(folder / "registry-password").read_text().strip(),
            STAGING_POSTGRES_PASSWORD=(folder / "postgres-password").read_text().strip(),
            CLASSROOM_POSTGRES_IMAGE=self.lab.state["images"]["postgres"],
            CLASSROOM_REDIS_IMAGE=self.lab.state["images"]["redis"],
            GITHUB_REPOSITORY=GITHUB_REPOSITORY,
            GITHUB_RUN_ID=str(run_id),
            GITHUB_SERVER_URL="https://github.com",
            GITHUB_ACTOR="octocat",
            GITHUB_STEP_SUMMARY=str(self.workdir / f"{label}-summary.md"),
            SHIPLINE_WEBHOOK_URL=self.webhook.url(f"hook/{label}"),
        )
        return env

    def start(self, label: str, *args: str, run_id: int = 1000, env: dict[str, str] | None = None) -> StartedRun:
        artifacts_dir = self.workdir / f"{label}-artifacts"
        environment = env if env is not None else self.environment(label, run_id)
        process = subprocess.Popen(
            [sys.executable, "-m", "shipline", *args, "--artifacts-dir", str(artifacts_dir)],
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        summary_path = Path(environment.get("GITHUB_STEP_SUMMARY", self.workdir / f"{label}-summary.md"))
        return StartedRun(label, process, artifacts_dir, summary_path)

    def run(self, label: str, *args: str, run_id: int = 1000, env: dict[str, str] | None = None) -> LauncherRun:
        return self.start(label, *args, run_id=run_id, env=env).wait()

    def deploy(self, label: str, sha: str, *options: str, run_id: int = 1000) -> LauncherRun:
        return self.run(label, "deploy", "--inventory", INVENTORY, "--sha", sha, *options, run_id=run_id)


def lab_secrets(lab: Lab) -> dict[str, str]:
    """Return the three secret values, plus each line of the SSH key's body on its own."""
    key = (lab.directory / "deploy_ed25519").read_text()
    secrets = {
        "registry password": (lab.directory / "registry-password").read_text().strip(),
        "postgres password": (lab.directory / "postgres-password").read_text().strip(),
        "SSH key": key.strip(),
    }
    body = [line for line in key.splitlines() if line and not line.startswith("-----")]
    secrets.update({f"SSH key line {number}": line for number, line in enumerate(body, 1)})
    return secrets


def describe(leaks: list[Leak]) -> str:
    return "\n".join(str(leak) for leak in leaks[:20])


def assert_no_secret_in_artifacts(lab: Lab, run: LauncherRun) -> None:
    """Walk every file of the run's artifacts folder, then its output and job summary."""
    files = [path for path in run.artifacts_dir.rglob("*") if path.is_file()]
    assert files, f"{run.label}: no file under {run.artifacts_dir}"
    secrets = lab_secrets(lab)
    usernames = {"registry password": lab.state["registry_username"]}
    leaks = scan_files(secrets, [run.artifacts_dir], usernames)
    assert leaks == [], describe(leaks)
    leaks = scan_text(secrets, run.stdout + run.stderr, f"{run.label} output", usernames)
    assert leaks == [], describe(leaks)
    leaks = scan_text(secrets, run.summary, f"{run.label} job summary", usernames)
    assert leaks == [], describe(leaks)


def assert_one_clean_message(lab: Lab, webhook: WebhookReceiver, run: LauncherRun) -> str:
    """Check that ``run`` posted exactly one webhook message without a secret; return its text."""
    bodies = webhook.bodies(f"hook/{run.label}")
    assert len(bodies) == 1, f"{run.label} posted {len(bodies)} messages: {bodies}"
    leaks = scan_text(lab_secrets(lab), bodies[0], f"{run.label} webhook message")
    assert leaks == [], describe(leaks)
    return json.loads(bodies[0])["text"]


def closed_port() -> int:
    """Return a 127.0.0.1 TCP port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def history(lab: Lab) -> list[dict]:
    return json.loads(lab.on_server("cat", f"{APP_DIR}/releases.json").stdout)["records"]


def serving_version(lab: Lab) -> str:
    status, body = lab.http("/api/health")
    assert isinstance(body, dict), f"health answered HTTP {status}: {body}"
    return body["data"]["version"]


def wait_for_lock(lab: Lab, runs: list[StartedRun], seconds: float = 600) -> None:
    """Wait until some deploy holds the lock on the server, failing early if every run ended."""
    deadline = time.monotonic() + seconds
    while lab.on_server("test", "-f", LOCK_DETAILS, check=False).returncode != 0:
        assert any(run.process.poll() is None for run in runs), "both deploys ended before either took the lock"
        assert time.monotonic() < deadline, f"no deploy took the lock within {seconds} s"
        time.sleep(1)


@pytest.fixture(scope="module")
def launcher(lab: Lab, tmp_path_factory: pytest.TempPathFactory, webhook: WebhookReceiver) -> Launcher:
    return Launcher(lab, tmp_path_factory.mktemp("launcher"), webhook)


@pytest.fixture(scope="module")
def built(launcher: Launcher) -> LauncherRun:
    """SHA_GOOD built with ``shipline build`` through the lab inventory, under the mixed-case repository."""
    env = launcher.environment("build", 1)
    env["SHIPLINE_LAB_DIR"] = str(launcher.lab.directory)
    run = launcher.run("build", "build", "--inventory", "inventories/lab", "--sha", SHA_GOOD, env=env)
    assert run.returncode == 0, run.tail()
    launcher.lab.built.add(SHA_GOOD)
    return run


@pytest.fixture(scope="module")
def first_deploy(launcher: Launcher, built: LauncherRun, provisioned: Lab) -> LauncherRun:
    """SHA_GOOD deployed by ``shipline deploy`` through the staging inventory."""
    provisioned.on_server("rm", "-rf", f"{APP_DIR}/.deploy.lock")
    return launcher.deploy("deploy-good", SHA_GOOD, run_id=1001)


def test_build_pushes_lower_cased_repository(built: LauncherRun) -> None:
    assert built.report["outcome"] == "built"
    assert built.report["image_repository"] == IMAGE_REPOSITORY


def test_build_artifacts_have_no_secret(built: LauncherRun, launcher: Launcher) -> None:
    assert_no_secret_in_artifacts(launcher.lab, built)


def test_deploy_exits_0(first_deploy: LauncherRun) -> None:
    assert first_deploy.returncode == 0, first_deploy.tail()


def test_deploy_report_describes_release(first_deploy: LauncherRun) -> None:
    report = first_deploy.report
    assert report["outcome"] == "deployed"
    assert report["exit_code"] == 0
    assert report["sha"] == SHA_GOOD
    assert report["image_repository"] == IMAGE_REPOSITORY
    assert report["deployed_by"] == "octocat (run 1001)"
    assert report["ci_run_url"] == f"https://github.com/{GITHUB_REPOSITORY}/actions/runs/1001"


def test_deploy_report_has_host_result(first_deploy: LauncherRun) -> None:
    host = first_deploy.host
    assert host["outcome"] == "deployed"
    assert host["serving_sha"] == SHA_GOOD
    assert host["health"]["status_code"] == 200
    assert host["health"]["version"] == SHA_GOOD


def test_deploy_report_has_phase_durations(first_deploy: LauncherRun) -> None:
    phases = {phase["phase"]: phase["seconds"] for phase in first_deploy.report["phases"]}
    for phase in ("preflight", "deploy_lock", "image_deploy", "compose", "health"):
        assert phase in phases, f"no duration for {phase}: {phases}"
        assert phases[phase] >= 0


def test_deploy_serves_release(first_deploy: LauncherRun, launcher: Launcher) -> None:
    assert serving_version(launcher.lab) == SHA_GOOD


def test_deploy_summary_appended(first_deploy: LauncherRun) -> None:
    summary = first_deploy.summary
    assert "## Shipline deploy to staging: deployed" in summary
    assert f"| Commit | `{SHA_GOOD}` |" in summary
    assert f"| Image repository | `{IMAGE_REPOSITORY}` |" in summary
    assert f"| {HOST} | deployed | {SHA_GOOD[:12]} |" in summary
    assert "### Phase durations" in summary


def test_deploy_notifies_once(first_deploy: LauncherRun, launcher: Launcher, webhook: WebhookReceiver) -> None:
    text = assert_one_clean_message(launcher.lab, webhook, first_deploy)
    assert text.startswith(f"Shipline deploy of {SHA_GOOD} to staging: deployed")
    assert f"https://github.com/{GITHUB_REPOSITORY}/actions/runs/1001" in text


def test_deploy_artifacts_have_no_secret(first_deploy: LauncherRun, launcher: Launcher) -> None:
    assert_no_secret_in_artifacts(launcher.lab, first_deploy)


@pytest.fixture(scope="module")
def unhealthy_deploy(launcher: Launcher, first_deploy: LauncherRun) -> LauncherRun:
    """SHA_UNHEALTHY, whose backend reports itself unhealthy, deployed over SHA_GOOD."""
    assert first_deploy.returncode == 0, first_deploy.tail()
    launcher.lab.build(SHA_UNHEALTHY, fault="unhealthy")
    return launcher.deploy("deploy-unhealthy", SHA_UNHEALTHY, run_id=1002)


def test_unhealthy_deploy_exits_1(unhealthy_deploy: LauncherRun) -> None:
    assert unhealthy_deploy.returncode == 1, unhealthy_deploy.tail()


def test_unhealthy_deploy_reports_rolled_back(unhealthy_deploy: LauncherRun) -> None:
    assert unhealthy_deploy.report["outcome"] == "rolled_back"
    assert unhealthy_deploy.host["outcome"] == "rolled_back"
    assert unhealthy_deploy.host["failed_phase"] == "health"
    assert unhealthy_deploy.host["serving_sha"] == SHA_GOOD


def test_unhealthy_deploy_previous_release_serves(unhealthy_deploy: LauncherRun, launcher: Launcher) -> None:
    assert serving_version(launcher.lab) == SHA_GOOD


def test_unhealthy_deploy_summary_says_rolled_back(unhealthy_deploy: LauncherRun) -> None:
    summary = unhealthy_deploy.summary
    assert "## Shipline deploy to staging: rolled_back" in summary
    assert f"| {HOST} | rolled_back | {SHA_GOOD[:12]} |" in summary


def test_unhealthy_deploy_notifies_once(
    unhealthy_deploy: LauncherRun, launcher: Launcher, webhook: WebhookReceiver
) -> None:
    text = assert_one_clean_message(launcher.lab, webhook, unhealthy_deploy)
    assert text.startswith(f"Shipline deploy of {SHA_UNHEALTHY} to staging: rolled_back")


def test_unhealthy_deploy_artifacts_have_no_secret(unhealthy_deploy: LauncherRun, launcher: Launcher) -> None:
    assert_no_secret_in_artifacts(launcher.lab, unhealthy_deploy)


@dataclass
class ConcurrentRuns:
    """Two deploys started together, and a third started while one of them held the lock."""

    first: LauncherRun
    second: LauncherRun
    blocked: LauncherRun

    @property
    def together(self) -> list[LauncherRun]:
        return [self.first, self.second]

    @property
    def deployers(self) -> set[str]:
        """The release records' ``deployed_by`` of the two runs started together."""
        return {run.report["deployed_by"] for run in self.together}

    def records(self, lab: Lab) -> list[dict]:
        """Return the server's release records written by the two runs started together."""
        return [record for record in history(lab) if record["deployed_by"] in self.deployers]


@pytest.fixture(scope="module")
def concurrent(launcher: Launcher, first_deploy: LauncherRun) -> ConcurrentRuns:
    """SHA_NEXT and SHA_THIRD deployed at once, then a deploy with a 1 s lock timeout.

    Neither release serves before, so that each run switches releases and records one: a
    redeploy of the serving release would record nothing.
    """
    assert first_deploy.returncode == 0, first_deploy.tail()
    launcher.lab.build(SHA_NEXT)
    launcher.lab.build(SHA_THIRD)
    deploy = ("deploy", "--inventory", INVENTORY, "--lock-timeout", "600")
    # Run ids unique to this session, so that records of a reused lab's earlier runs do not count.
    run_id = int(time.time())
    first = launcher.start("together-1", *deploy, "--sha", SHA_NEXT, run_id=run_id + 1)
    second = launcher.start("together-2", *deploy, "--sha", SHA_THIRD, run_id=run_id + 2)
    try:
        wait_for_lock(launcher.lab, [first, second])
        blocked = launcher.deploy("blocked", SHA_NEXT, "--lock-timeout", "1", run_id=run_id + 3)
        return ConcurrentRuns(first.wait(), second.wait(), blocked)
    finally:
        # Only on failure are they still running. SIGTERM lets shipline stop the playbook cleanly.
        for started in (first, second):
            if started.process.poll() is None:
                started.process.terminate()
                started.process.wait(timeout=120)


def test_concurrent_deploys_both_exit_0(concurrent: ConcurrentRuns) -> None:
    for run in concurrent.together:
        assert run.returncode == 0, run.tail()


def test_concurrent_deploys_one_waits(concurrent: ConcurrentRuns) -> None:
    waited = [run.label for run in concurrent.together if WAITED_FOR_LOCK.search(run.stderr)]
    assert len(waited) == 1, f"runs that waited for the lock: {waited}"


def test_concurrent_deploys_do_not_interleave(concurrent: ConcurrentRuns, launcher: Launcher) -> None:
    records = concurrent.records(launcher.lab)
    assert len(records) == 2, records
    earlier, later = sorted(records, key=lambda record: record["started_at"])
    assert earlier["finished_at"] <= later["started_at"], f"{earlier} overlaps {later}"


def test_concurrent_deploys_later_one_serves(concurrent: ConcurrentRuns, launcher: Launcher) -> None:
    records = concurrent.records(launcher.lab)
    later = max(records, key=lambda record: record["finished_at"])
    assert serving_version(launcher.lab) == later["sha"]


def test_short_lock_timeout_exits_5(concurrent: ConcurrentRuns) -> None:
    assert concurrent.blocked.returncode == 5, concurrent.blocked.tail()


def test_short_lock_timeout_names_holder(concurrent: ConcurrentRuns) -> None:
    blocked = concurrent.blocked
    assert blocked.host["lock"]["holder"] in concurrent.deployers
    assert f"lock held by {blocked.host['lock']['holder']}" in blocked.report["reason"]


def test_short_lock_timeout_leaves_no_record(concurrent: ConcurrentRuns, launcher: Launcher) -> None:
    blocked_by = concurrent.blocked.report["deployed_by"]
    assert all(record["deployed_by"] != blocked_by for record in history(launcher.lab))


def test_concurrent_deploys_notify_once_each(
    concurrent: ConcurrentRuns, launcher: Launcher, webhook: WebhookReceiver
) -> None:
    for run in concurrent.together:
        text = assert_one_clean_message(launcher.lab, webhook, run)
        assert ": deployed\n" in text, text
    text = assert_one_clean_message(launcher.lab, webhook, concurrent.blocked)
    assert ": failed\n" in text, text


def test_concurrent_deploys_artifacts_have_no_secret(concurrent: ConcurrentRuns, launcher: Launcher) -> None:
    for run in [*concurrent.together, concurrent.blocked]:
        assert_no_secret_in_artifacts(launcher.lab, run)


# Input checks that need the real staging inventory. The unit tests cover the same checks
# with a stand-in inventory (tests/unit/test_cli.py), among them a sha with non-hex digits.


def test_repository_with_space_exits_2(launcher: Launcher, webhook: WebhookReceiver) -> None:
    env = launcher.environment("bad-repository", 3001)
    env["GITHUB_REPOSITORY"] = "Acme/Classroom Manager"
    run = launcher.run("bad-repository", "deploy", "--inventory", INVENTORY, "--sha", SHA_GOOD, env=env)
    assert run.returncode == 2, run.tail()
    assert len(run.error_lines) == 1, run.stderr
    assert "path component 'classroom manager'" in run.error_lines[0]
    assert run.report["outcome"] == "invalid_input"
    assert not (run.artifacts_dir / "runner").exists()
    assert webhook.bodies("hook/bad-repository") == []


def test_missing_ssh_key_exits_2(launcher: Launcher) -> None:
    env = launcher.environment("no-key", 3002)
    del env["STAGING_SSH_KEY"]
    run = launcher.run("no-key", "deploy", "--inventory", INVENTORY, "--sha", SHA_GOOD, env=env)
    assert run.returncode == 2, run.tail()
    assert len(run.error_lines) == 1, run.stderr
    assert "missing or empty environment variable(s): STAGING_SSH_KEY " in run.error_lines[0]
    assert not (run.artifacts_dir / "runner").exists()
    assert_no_secret_in_artifacts(launcher.lab, run)


def test_closed_ssh_port_exits_4(launcher: Launcher, webhook: WebhookReceiver) -> None:
    port = closed_port()
    env = launcher.environment("closed-port", 3003)
    env["STAGING_SSH_PORT"] = str(port)
    run = launcher.run("closed-port", "deploy", "--inventory", INVENTORY, "--sha", SHA_GOOD, env=env)
    assert run.returncode == 4, run.tail()
    assert len(run.error_lines) == 1, run.stderr
    assert f"cannot reach host {HOST} at 127.0.0.1:{port}: connection refused" in run.error_lines[0]
    assert run.host["outcome"] == "unreachable"
    assert_no_secret_in_artifacts(launcher.lab, run)
    text = assert_one_clean_message(launcher.lab, webhook, run)
    assert text.startswith(f"Shipline deploy of {SHA_GOOD} to staging: failed")


# Last, because it leaves the broken release running until the fixture restores the
# previous one by hand.


@pytest.fixture(scope="module")
def rollback_fails(launcher: Launcher, first_deploy: LauncherRun) -> Iterator[tuple[LauncherRun, str]]:
    """SHA_UNHEALTHY deployed after the serving release's .env was moved away, so the rollback fails."""
    lab = launcher.lab
    assert first_deploy.returncode == 0, first_deploy.tail()
    lab.build(SHA_UNHEALTHY, fault="unhealthy")
    serving = serving_version(lab)
    release_dir = f"{APP_DIR}/releases/{serving}"
    lab.on_server("mv", f"{release_dir}/.env", f"{release_dir}/.env.moved-by-test")
    try:
        yield launcher.deploy("rollback-fails", SHA_UNHEALTHY, run_id=4001), serving
    finally:
        lab.on_server("mv", f"{release_dir}/.env.moved-by-test", f"{release_dir}/.env")
        lab.on_server(
            "docker",
            "compose",
            "--project-name",
            PROJECT,
            "--project-directory",
            release_dir,
            "--file",
            f"{release_dir}/compose.yml",
            "up",
            "--detach",
            "--remove-orphans",
            "--pull",
            "never",
        )


def test_failed_rollback_exits_3(rollback_fails: tuple[LauncherRun, str]) -> None:
    run, _ = rollback_fails
    assert run.returncode == 3, run.tail()


def test_failed_rollback_reports_rollback_failed(rollback_fails: tuple[LauncherRun, str]) -> None:
    run, serving = rollback_fails
    assert run.report["outcome"] == "rollback_failed"
    assert run.host["outcome"] == "rollback_failed"
    assert f"{APP_DIR}/releases/{serving} has no .env" in run.host["message"]


def test_failed_rollback_summary_says_so(rollback_fails: tuple[LauncherRun, str]) -> None:
    run, _ = rollback_fails
    assert "## Shipline deploy to staging: rollback_failed" in run.summary
    assert "| Exit code | 3 (failed and the rollback failed, outage possible) |" in run.summary


def test_failed_rollback_notifies_once(
    rollback_fails: tuple[LauncherRun, str], launcher: Launcher, webhook: WebhookReceiver
) -> None:
    run, _ = rollback_fails
    text = assert_one_clean_message(launcher.lab, webhook, run)
    assert text.startswith(f"Shipline deploy of {SHA_UNHEALTHY} to staging: rollback_failed")


def test_failed_rollback_artifacts_have_no_secret(rollback_fails: tuple[LauncherRun, str], launcher: Launcher) -> None:
    run, _ = rollback_fails
    assert_no_secret_in_artifacts(launcher.lab, run)
