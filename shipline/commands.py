"""Carry out build, deploy, rollback and status: checks, playbook run, report and notification.

Each command runs the same steps in order:

1. validate the options and the inventory's Shipline settings (exit 2 on any problem);
2. check that every required environment variable is set (deploy, rollback, status);
3. TCP-connect to every SSH host (exit 4 when one is unreachable; not for build, whose
   playbook runs on the CI runner);
4. write the SSH key and known_hosts to private temp files and run the playbook;
5. read the per-host result files, decide outcome and exit code, write report.json,
   the GitHub job summary and the closing text summary, and send the webhook message.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shipline import ci_env, notify, report, validation
from shipline.exit_codes import ExitCode
from shipline.inventory import InventorySettings, list_hosts, load_settings
from shipline.outcome import (
    COMMANDS_THAT_CHANGE_SERVERS,
    COMMANDS_WITH_RESULT_FILES,
    FAILED,
    INVALID_INPUT,
    UNREACHABLE,
    Decision,
    HostResult,
    decide,
    decide_without_results,
    read_host_results,
)
from shipline.reachability import find_unreachable
from shipline.redaction import Redactor
from shipline.runner import CancelFlag, PlaybookRun, run_playbook
from shipline.secrets_env import SecretFiles
from shipline.validation import InputError

log = logging.getLogger(__name__)

COMMANDS = ("build", "deploy", "rollback", "status")
DEFAULT_INVENTORY = "inventories/staging"
DEFAULT_LOCK_TIMEOUT_SECONDS = 300
PROJECT_DIR_VAR = "SHIPLINE_PROJECT_DIR"
REGISTRY_VAR = "SHIPLINE_REGISTRY"
ROLLBACK_TO_PREVIOUS = "previous"
# build runs on the CI runner and pushes images, so it needs no server secrets.
COMMANDS_NEEDING_SERVER = ("deploy", "rollback", "status")


@dataclass
class CommandRequest:
    """Validated options of one build, deploy, rollback or status run."""

    command: str
    inventory: Path
    artifacts_dir: Path
    report_path: Path
    sha: str | None = None
    image_repository: str | None = None
    rollback_to: str | None = None
    deployed_by: str | None = None
    ci_run_url: str | None = None
    force_unlock: bool = False
    lock_timeout: int = DEFAULT_LOCK_TIMEOUT_SECONDS
    verbosity: int = 0

    @property
    def result_dir(self) -> Path:
        """Directory where the playbook writes one ``<host>.json`` per host."""
        return self.artifacts_dir / "results"

    @property
    def private_data_dir(self) -> Path:
        """ansible-runner's private data directory, under which it writes artifacts/."""
        return self.artifacts_dir / "runner"


def artifact_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    """Return the absolute artifacts directory and report path chosen by the options."""
    artifacts_dir = (
        Path(args.artifacts_dir) if args.artifacts_dir else ci_env.default_artifacts_dir(args.command)
    )
    artifacts_dir = artifacts_dir.resolve()
    report_path = Path(args.report).resolve() if args.report else artifacts_dir / "report.json"
    return artifacts_dir, report_path


def prepare_request(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    artifacts_dir: Path,
    report_path: Path,
) -> CommandRequest:
    """Validate the parsed options and fill in CI-derived defaults. Raise InputError on bad input."""
    command = args.command
    request = CommandRequest(
        command=command,
        inventory=Path(args.inventory).resolve(),
        artifacts_dir=artifacts_dir,
        report_path=report_path,
        verbosity=args.verbose,
    )

    if command in ("build", "deploy"):
        if not args.sha:
            raise InputError(f"--sha is required for {command}. Pass the commit id to {command}.")
        request.sha = validation.normalize_sha(args.sha)
        if args.image_repository:
            request.image_repository = validation.normalize_image_repository(args.image_repository)
        else:
            registry = args.registry or environ.get(REGISTRY_VAR) or None
            request.image_repository = validation.default_image_repository(environ, registry)

    if command == "rollback":
        request.rollback_to = validation.normalize_sha(args.sha) if args.sha else ROLLBACK_TO_PREVIOUS

    if command in ("deploy", "rollback"):
        deployed_by = args.deployed_by or ci_env.default_deployed_by(environ)
        request.deployed_by = validation.validate_deployed_by(deployed_by)

    ci_run_url = args.ci_run_url or ci_env.default_ci_run_url(environ)
    request.ci_run_url = validation.validate_ci_run_url(ci_run_url) if ci_run_url else None

    if command == "deploy":
        request.force_unlock = bool(args.force_unlock)
        request.lock_timeout = validation.validate_lock_timeout(args.lock_timeout)
    return request


def find_project_dir(environ: Mapping[str, str]) -> Path:
    """Locate the Shipline checkout: SHIPLINE_PROJECT_DIR, else the nearest parent with playbooks/.

    The search starts at the working directory and falls back to the directory above
    this package, which is the checkout in an editable install.
    """
    override = environ.get(PROJECT_DIR_VAR)
    if override:
        path = Path(override).resolve()
        if not (path / "playbooks").is_dir():
            raise InputError(
                f"{PROJECT_DIR_VAR}={override!r} has no playbooks/ directory. Point it at the checkout."
            )
        return path

    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents, Path(__file__).resolve().parent.parent):
        if (candidate / "playbooks").is_dir() and (candidate / "ansible.cfg").is_file():
            return candidate
    raise InputError(
        "cannot find the Shipline checkout (a directory with ansible.cfg and playbooks/). "
        f"Run shipline from the repository or set {PROJECT_DIR_VAR}."
    )


def check_required_env(settings: InventorySettings, environ: Mapping[str, str]) -> None:
    """Raise InputError naming every required variable that is unset or empty (never a value)."""
    names = list(settings.required_env)
    for extra in (settings.ssh_key_env, settings.known_hosts_env):
        if extra and extra not in names:
            names.append(extra)
    missing = validation.missing_env(names, environ)
    if missing:
        raise InputError(
            f"missing or empty environment variable(s): {', '.join(missing)} "
            f"(required by the {settings.path.name} inventory's group_vars). "
            "Set them as CI secrets or export them before running shipline."
        )


def build_extravars(request: CommandRequest) -> dict[str, Any]:
    """Return the playbook's extra variables for ``request.command``. None of them is secret."""
    result_dir = str(request.result_dir)
    if request.command == "build":
        return {"shipline_sha": request.sha, "shipline_image_repository": request.image_repository}
    if request.command == "deploy":
        return {
            "shipline_sha": request.sha,
            "shipline_image_repository": request.image_repository,
            "shipline_deployed_by": request.deployed_by,
            "shipline_ci_run_url": request.ci_run_url or "",
            "shipline_lock_force": request.force_unlock,
            "shipline_lock_timeout": request.lock_timeout,
            "shipline_result_dir": result_dir,
        }
    if request.command == "rollback":
        return {
            "shipline_rollback_to": request.rollback_to,
            "shipline_deployed_by": request.deployed_by,
            "shipline_result_dir": result_dir,
        }
    return {"shipline_result_dir": result_dir}


class _Run:
    """Mutable state of one command run, gathered for the report as the steps go."""

    def __init__(self, args: argparse.Namespace, environ: MutableMapping[str, str]) -> None:
        self.args = args
        self.environ = environ
        self.started_at = datetime.now(UTC)
        # Resolved once: the default folder name contains the current time.
        self.artifacts_dir, self.report_path = artifact_paths(args)
        self.request: CommandRequest | None = None
        self.settings: InventorySettings | None = None
        self.redactor = Redactor([], environ)
        self.playbook_started = False
        self.playbook_run: PlaybookRun | None = None
        self.hosts: list[HostResult] = []


def _execute(state: _Run, cancel_flag: CancelFlag | None) -> Decision:
    environ = state.environ
    request = prepare_request(state.args, environ, state.artifacts_dir, state.report_path)
    state.request = request
    settings = load_settings(request.inventory)
    state.settings = settings
    # Other variables count as secret when their names match redaction.SECRET_NAME_PATTERN.
    # STAGING_HOST or STAGING_USER are not masked, because a user name such as
    # "deploy" would be masked in every task name.
    secret_names = [name for name in (settings.ssh_key_env, settings.known_hosts_env) if name]
    state.redactor = Redactor(secret_names, environ)
    if request.command in COMMANDS_NEEDING_SERVER:
        check_required_env(settings, environ)

    project_dir = find_project_dir(environ)
    playbook = project_dir / "playbooks" / f"{request.command}.yml"
    if not playbook.is_file():
        raise InputError(f"playbook {playbook} does not exist. Check the checkout or {PROJECT_DIR_VAR}.")
    ansible_config = project_dir / "ansible.cfg"
    envvars: dict[str, str] = {}
    if ansible_config.is_file():
        # Ansible reads its configuration once, on import, and list_hosts imports it in-process.
        environ["ANSIBLE_CONFIG"] = str(ansible_config)
        envvars["ANSIBLE_CONFIG"] = str(ansible_config)

    inventory_hosts: list[str] = []
    if request.command in COMMANDS_NEEDING_SERVER:
        addresses = list_hosts(request.inventory)
        inventory_hosts = [address.name for address in addresses]
        unreachable = find_unreachable(addresses)
        if unreachable:
            for failure in unreachable:
                log.error("%s", failure.describe())
            state.hosts = [
                HostResult(host=failure.host.name, outcome=UNREACHABLE, message=failure.describe())
                for failure in unreachable
            ]
            return Decision(
                outcome=FAILED,
                exit_code=ExitCode.UNREACHABLE,
                reason="; ".join(failure.describe() for failure in unreachable),
            )

    request.private_data_dir.mkdir(parents=True, exist_ok=True)
    request.result_dir.mkdir(parents=True, exist_ok=True)
    with SecretFiles(settings, environ) as key_files:
        envvars.update(key_files)
        state.playbook_started = True
        run = run_playbook(
            project_dir=project_dir,
            playbook=playbook,
            inventory=request.inventory,
            private_data_dir=request.private_data_dir,
            ident=request.command,
            extravars=build_extravars(request),
            envvars=envvars,
            redactor=state.redactor,
            verbosity=request.verbosity,
            cancel_flag=cancel_flag,
        )
    state.playbook_run = run

    if request.command not in COMMANDS_WITH_RESULT_FILES:
        return decide_without_results(request.command, run.status, run.unreachable_hosts)

    hosts = sorted(set(run.processed_hosts) | set(run.unreachable_hosts)) or inventory_hosts
    state.hosts = read_host_results(
        request.result_dir, hosts, run.unreachable_hosts, run.messages, canceled=run.status == "canceled"
    )
    return decide(request.command, state.hosts, run.status, run.unreachable_hosts)


def _environment_name(state: _Run) -> str:
    for host in state.hosts:
        if host.environment:
            return host.environment
    if state.settings is not None:
        return state.settings.environment
    return Path(state.args.inventory).name or "unknown"


def _build_report(state: _Run, decision: Decision) -> report.Report:
    finished_at = datetime.now(UTC)
    request = state.request
    run = state.playbook_run
    return report.Report(
        command=state.args.command,
        inventory=str(request.inventory if request else state.args.inventory),
        environment=_environment_name(state),
        outcome=decision.outcome,
        exit_code=int(decision.exit_code),
        reason=decision.reason,
        started_at=state.started_at.isoformat(),
        finished_at=finished_at.isoformat(),
        duration_seconds=round((finished_at - state.started_at).total_seconds(), 3),
        artifacts_dir=str(state.artifacts_dir),
        sha=request.sha if request else None,
        image_repository=request.image_repository if request else None,
        rollback_to=request.rollback_to if request else None,
        deployed_by=request.deployed_by if request else None,
        ci_run_url=request.ci_run_url if request else None,
        runner_status=run.status if run else None,
        hosts=state.hosts,
        phases=report.phase_durations(run.events) if run else [],
    )


def _publish(state: _Run, result: report.Report) -> None:
    """Write report.json and the job summary, print the text summary, send the webhook."""
    report_path = state.report_path
    try:
        report.write_json(result, report_path, state.redactor)
    except OSError as error:
        log.error("could not write the report to %s: %s", report_path, error)
    report.append_step_summary(result, state.environ, state.redactor)
    print(state.redactor.redact(report.render_text_summary(result, report_path)), flush=True)

    if result.exit_code != ExitCode.BAD_INPUT:
        notify.notify(result, state.environ, state.redactor)


def run_command(
    args: argparse.Namespace,
    environ: MutableMapping[str, str] | None = None,
    cancel_flag: CancelFlag | None = None,
) -> ExitCode:
    """Run one of build, deploy, rollback or status and return its exit code.

    ``environ`` defaults to ``os.environ``. ANSIBLE_CONFIG is set in it, so that the
    in-process inventory reader and the playbook use the checkout's ansible.cfg.
    """
    state = _Run(args, os.environ if environ is None else environ)
    try:
        decision = _execute(state, cancel_flag)
    except InputError as error:
        log.error("%s", error)
        decision = Decision(outcome=INVALID_INPUT, exit_code=ExitCode.BAD_INPUT, reason=str(error))
    except Exception as error:
        # Still write the report and notify. Once the playbook has started, the server
        # may be half changed, so a deploy or rollback then reports a possible outage.
        log.exception("shipline %s failed unexpectedly", args.command)
        code = ExitCode.FAILED_PREVIOUS_SERVES
        if state.playbook_started and args.command in COMMANDS_THAT_CHANGE_SERVERS:
            code = ExitCode.ROLLBACK_FAILED
        decision = Decision(outcome=FAILED, exit_code=code, reason=f"unexpected error: {error}")

    result = _build_report(state, decision)
    _publish(state, result)
    sys.stdout.flush()
    return decision.exit_code
