"""The ``shipline lab up|status|down`` subcommand."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict

from shipline.lab import lab
from shipline.lab.docker_cli import DockerError
from shipline.lab.dockerd import EngineUnavailable
from shipline.lab.state import LabState

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``lab`` and its actions on the top-level parser's subcommands."""
    parser = subparsers.add_parser(
        "lab",
        help="run the local lab: a TLS registry with logins and bare staging servers",
        description="Start, inspect or remove the local lab. Every object it creates is labelled "
        "dev.shipline.lab=<name>, and 'down' removes only those.",
    )
    parser.add_argument("action", choices=("up", "status", "down"))
    parser.add_argument("--name", default="default", help="lab name, so that several labs can coexist")
    parser.add_argument("--servers", type=int, default=1, help="number of staging servers (up only)")
    parser.add_argument("--json", action="store_true", help="print the lab state as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out one lab action and return the process exit code."""
    if args.servers < 1:
        print(f"shipline lab: --servers must be at least 1, got {args.servers}", file=sys.stderr)
        return 2
    try:
        if args.action == "up":
            state = lab.up(args.name, args.servers)
            _print_state(state, args.json)
        elif args.action == "status":
            state, containers = lab.status(args.name)
            if state is None and not containers:
                print(f"lab {args.name!r} is not up")
                return 1
            if state is not None:
                _print_state(state, args.json)
            for name, container_status in sorted(containers.items()):
                print(f"  {name}: {container_status}")
        else:
            for item in lab.down(args.name):
                print(f"removed {item}")
    except (DockerError, EngineUnavailable, RuntimeError) as error:
        print(f"shipline lab {args.action}: {error}", file=sys.stderr)
        return 1
    return 0


def _print_state(state: LabState, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(state), indent=2))
        return
    print(f"lab {state.name}: state in {state.directory}")
    print(f"  registry: https://{state.registry_host_address} (servers use {state.registry_server_address})")
    for server in state.servers:
        print(f"  {server.name}: ssh 127.0.0.1:{server.ssh_port}, app http://127.0.0.1:{server.http_port}/")
    print(f"  inventory: SHIPLINE_LAB_DIR={state.directory} ansible-inventory -i inventories/lab --list")
