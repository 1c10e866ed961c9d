#!/usr/bin/env python3
"""Benchmark Shipline's deploy on a lab and write bench/results/<date>-<name>.json and .md.

Run from the repository's venv: ``python bench/run.py`` (five repetitions) or
``python bench/run.py --quick`` (one repetition, scale to 1 and 2 servers). See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import shlex
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository importable, as `python -m bench.run` would.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.labhost import server_docker_version
from bench.report import capture_environment, load_average, markdown_table, write_results
from bench.scenarios import GOOD_SHAS, UNHEALTHY_SHA, Bench, BenchError
from bench.summary import build_rows, check_targets, relative, render_markdown, result_payload, step_breakdown
from tests.labkit import REPO, Lab

log = logging.getLogger("bench")

SCENARIOS = ("deploy", "noop", "floor", "downtime", "failure", "scale")
BUILT_MARKER = "bench-built.json"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="bench", help="name of the lab to start or reuse (default: bench)")
    parser.add_argument(
        "--repetitions",
        type=int,
        default=None,
        help="repetitions of every scenario (default: 5, or 1 with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: one repetition, scale to 1 and 2 servers")
    parser.add_argument(
        "--scale",
        default=None,
        metavar="COUNTS",
        help="comma-separated server counts for the scale scenario (default: 1,2,4, or 1,2 with --quick)",
    )
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        metavar="NAMES",
        help=f"comma-separated scenarios to run, from {','.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--name", default=None, help="result file name after the date (default: full or quick)")
    parser.add_argument(
        "--results-dir", type=Path, default=REPO / "bench" / "results", help="folder for the result files"
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=None,
        help="folder for each playbook run's output and timeline (default: a new temporary folder)",
    )
    parser.add_argument(
        "--recovery-timeout",
        type=float,
        default=30.0,
        help="seconds to wait after a failed deploy for the old release to report healthy (default: 30)",
    )
    parser.add_argument(
        "--no-prepare",
        action="store_true",
        help="skip lab up, provisioning and image builds (the lab must be ready from an earlier run)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)

    args.repetitions = args.repetitions or (1 if args.quick else 5)
    scale = args.scale or ("1,2" if args.quick else "1,2,4")
    try:
        args.scale = [int(count) for count in scale.split(",")]
    except ValueError:
        parser.error(f"--scale takes comma-separated whole numbers, such as 1,2,4, not {scale!r}")
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    if args.repetitions < 1 or min(args.scale) < 1:
        parser.error("--repetitions and every --scale count must be at least 1")
    args.name = args.name or ("quick" if args.quick else "full")
    return args


def prepare(name: str, server_count: int) -> Lab:
    """Start the lab with ``server_count`` servers, provision them all, and build the benchmark's releases."""
    from shipline.lab import lab as lab_api

    # lab.up records only the servers it was asked for, so never ask for fewer than run now.
    with contextlib.suppress(RuntimeError):
        server_count = max(server_count, len(lab_api.state_for(name).servers))
    state = lab_api.up(name, server_count)
    lab = Lab(name=name, directory=Path(state.directory), state=json.loads((state.path / "lab.json").read_text()))
    log.info("provisioning %d server(s) of lab %s", server_count, name)
    run = lab.playbook("provision")
    if run.returncode != 0:
        raise BenchError(f"provisioning lab {name} failed:\n{run.output[-3000:]}")
    marker = lab.directory / BUILT_MARKER
    built = set(json.loads(marker.read_text())) if marker.exists() else set()
    for sha, fault in [(GOOD_SHAS[0], ""), (GOOD_SHAS[1], ""), (UNHEALTHY_SHA, "unhealthy")]:
        if sha not in built:
            log.info("building release %s%s", sha[:7], f" with fault {fault}" if fault else "")
            lab.build(sha, fault)
            built.add(sha)
            marker.write_text(json.dumps(sorted(built)))
    return lab


def existing_lab(name: str) -> Lab:
    from shipline.lab import lab as lab_api

    state = lab_api.state_for(name)
    return Lab(name=name, directory=state.path, state=json.loads((state.path / "lab.json").read_text()))


def run(args: argparse.Namespace) -> int:
    server_count = max(args.scale) if "scale" in args.only else 1
    lab = existing_lab(args.lab) if args.no_prepare else prepare(args.lab, server_count)
    hosts = [server["name"] for server in lab.state["servers"]][:server_count]
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="shipline-bench-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log.info("playbook output and timelines go to %s", log_dir)

    bench = Bench(lab, hosts, log_dir, recovery_timeout=args.recovery_timeout)
    command = shlex.join(["python", relative(Path(sys.argv[0]).resolve()), *sys.argv[1:]])
    environment = capture_environment(command, server_docker_version(bench.container(hosts[0])))
    host = hosts[0]
    commands = {
        "deploy": shlex.join(["ansible-playbook", *bench.deploy_command("<sha>", [host])[1:]]),
        "floor": bench.floor_remote_command("<sha>"),
    }

    bench.warm_up()
    results: dict[str, list[dict]] = {name: [] for name in args.only}
    for repetition in range(1, args.repetitions + 1):
        log.info("repetition %d of %d", repetition, args.repetitions)
        if "deploy" in results:
            results["deploy"].append(bench.measure_deploy(host))
        if "noop" in results:
            results["noop"].append(bench.measure_noop(host))
        if "floor" in results:
            results["floor"].append(bench.measure_floor(host))
        if "downtime" in results:
            results["downtime"].append(bench.measure_downtime(host))
        if "failure" in results:
            results["failure"].append(bench.measure_failure(host))
        for count in args.scale if "scale" in results else []:
            results["scale"].append(bench.measure_scale(count))
    environment.load_after = load_average()

    rows = build_rows(results)
    targets = check_targets(results)
    markdown = render_markdown(environment, rows, targets, step_breakdown(results), commands)
    json_path, markdown_path = write_results(
        args.results_dir, args.name, result_payload(environment, results, rows, targets, commands), markdown
    )
    print(markdown_table(rows))
    for target in targets:
        print(f"{'met   ' if target['met'] else 'MISSED'}  {target['target']}: {target['value']}")
    print(f"results: {relative(json_path)}, {relative(markdown_path)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        return run(args)
    except BenchError as error:
        log.error("benchmark stopped: %s", error)
        return 1


if __name__ == "__main__":
    sys.exit(main())
