"""Command-line entry point: argparse definitions for every subcommand and the wiring to run them.

Exit codes are listed in shipline.exit_codes and in ``shipline --help``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

import shipline.lab.cli
from shipline import __version__
from shipline.commands import DEFAULT_INVENTORY, DEFAULT_LOCK_TIMEOUT_SECONDS, REGISTRY_VAR, run_command
from shipline.exit_codes import HELP_EPILOG, ExitCode
from shipline.runner import CancelFlag

log = logging.getLogger("shipline")


class _ArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors exit with ExitCode.BAD_INPUT (argparse uses 2 as well)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(int(ExitCode.BAD_INPUT), f"{self.prog}: error: {message}\n")


def _add_common_options(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "--inventory",
        default=DEFAULT_INVENTORY,
        metavar="PATH",
        help=f"Ansible inventory directory or file (default: {DEFAULT_INVENTORY})",
    )
    parser.add_argument(
        "--artifacts-dir",
        metavar="DIR",
        help=f"directory for the report, host results and ansible-runner artifacts "
        f"(default: artifacts/{command}-<UTC timestamp>)",
    )
    parser.add_argument(
        "--report", metavar="PATH", help="JSON report path (default: <artifacts-dir>/report.json)"
    )
    parser.add_argument(
        "--ci-run-url",
        metavar="URL",
        help="link to the CI run, recorded in the report and notification "
        "(default: built from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="debug logging; -vv also raises Ansible's verbosity",
    )


def _add_image_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--image-repository",
        metavar="NAME",
        help="image repository without a tag, lower-cased before use "
        "(default: <registry>/<GITHUB_REPOSITORY>)",
    )
    parser.add_argument(
        "--registry",
        metavar="HOST",
        help=f"registry host for the default image repository (default: ${REGISTRY_VAR}, else ghcr.io)",
    )


def _add_deployed_by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--deployed-by",
        metavar="TEXT",
        help="who deploys, written to the release record "
        "(default: '<GITHUB_ACTOR> (run <GITHUB_RUN_ID>)', else user@hostname)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for ``shipline`` and all its subcommands, the lab included."""
    parser = _ArgumentParser(
        prog="shipline",
        description="Build, deploy, roll back and inspect a Docker Compose app over SSH with Ansible.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add_command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = subparsers.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=HELP_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(func=_run_launcher_command)
        _add_common_options(sub, name)
        return sub

    build = add_command("build", "build the release images for a commit and push them")
    build.add_argument("--sha", required=True, help="commit id to build, 7 to 40 hex digits")
    _add_image_options(build)

    deploy = add_command("deploy", "deploy a built commit to every host of the inventory")
    deploy.add_argument("--sha", required=True, help="commit id to deploy, 7 to 40 hex digits")
    _add_image_options(deploy)
    _add_deployed_by(deploy)
    deploy.add_argument(
        "--force-unlock", action="store_true", help="take the deploy lock even if another deploy holds it"
    )
    deploy.add_argument(
        "--lock-timeout",
        type=int,
        default=DEFAULT_LOCK_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="maximum time to wait for another deploy's lock, in seconds "
        f"(default: {DEFAULT_LOCK_TIMEOUT_SECONDS})",
    )

    rollback = add_command("rollback", "switch every host back to an earlier release")
    rollback.add_argument(
        "--sha", help="commit id of the release to return to (default: the release before the current one)"
    )
    _add_deployed_by(rollback)

    add_command("status", "show the serving release, health and release history of every host")

    shipline.lab.cli.add_parser(subparsers)
    return parser


def _run_launcher_command(args: argparse.Namespace) -> int:
    return int(run_command(args, cancel_flag=args.cancel_flag))


def _configure_logging(verbosity: int) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbosity > 0 else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if verbosity == 0:
        # ansible-runner and the Ansible API log chatty details at INFO.
        logging.getLogger("ansible_runner").setLevel(logging.WARNING)


def _install_signal_handlers(flag: CancelFlag) -> None:
    """Make the first SIGINT/SIGTERM stop the playbook cleanly and the second one exit at once."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if flag.is_set():
            raise SystemExit(128 + signum)
        log.warning(
            "received %s: stopping the playbook, press again to exit at once", signal.Signals(signum).name
        )
        flag.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the chosen subcommand and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(getattr(args, "verbose", 0) or 0)
    flag = CancelFlag()
    _install_signal_handlers(flag)
    args.cancel_flag = flag
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
