"""Measure how long an automatic rollback takes, from the failing health verdict to healthy again.

Runs on a running, provisioned lab: builds a good release and a broken one, makes the
good one serve, then deploys the broken one several times. Each failed deploy's last
message carries the rollback role's own measure ("N s after the failure"): from the start
of the deploy's rescue, right after the failing verdict, to the restored release's healthy
health check. The script prints one Markdown row per run and the machine it ran on.

    python -m bench.rollback_time --lab rollback --runs 3 --fault unhealthy --fault crash
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import time
from pathlib import Path

from tests.labkit import Lab, start_lab

log = logging.getLogger("bench.rollback_time")

GOOD = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
BROKEN = {"unhealthy": "c0ffee0000000000000000000000000000000001", "crash": "c0ffee0000000000000000000000000000000002"}
MEASURE = re.compile(r"serving again and healthy \(HTTP 200, version \w+, ([0-9.]+) s after the failure\)")


def machine() -> str:
    """Describe the cores, memory and load of this machine, on which the lab's containers also run."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{os.cpu_count()} cores, {total_kib / 1024 / 1024:.1f} GiB memory, load average {load}"


def measure(lab: Lab, fault: str) -> tuple[float, float]:
    """Deploy the broken release once; return (rollback seconds, whole failed deploy seconds)."""
    run = lab.playbook("deploy", {"shipline_sha": BROKEN[fault]})
    found = MEASURE.search(" ".join(run.output.split()))
    if run.returncode == 0 or found is None:
        raise RuntimeError(f"the {fault} deploy did not roll back:\n{run.output[-3000:]}")
    return float(found.group(1)), run.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="rollback", help="name of a running, provisioned lab (default: rollback)")
    parser.add_argument("--runs", type=int, default=3, help="failed deploys per fault (default: 3)")
    parser.add_argument("--fault", action="append", choices=sorted(BROKEN), help="backend fault (default: unhealthy)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    lab = start_lab(args.lab)
    lab.build(GOOD)
    for fault in args.fault or ["unhealthy"]:
        lab.build(BROKEN[fault], fault=fault)
    serving = lab.playbook("deploy", {"shipline_sha": GOOD})
    if serving.returncode != 0:
        raise RuntimeError(f"the good release did not deploy:\n{serving.output[-3000:]}")

    print(f"Machine: {machine()} (at start)")
    print("| fault | run | verdict to healthy again (s) | whole failed deploy (s) |")
    print("| --- | ---: | ---: | ---: |")
    for fault in args.fault or ["unhealthy"]:
        for number in range(1, args.runs + 1):
            started = time.monotonic()
            rollback_seconds, deploy_seconds = measure(lab, fault)
            log.info("%s run %d done in %.0f s", fault, number, time.monotonic() - started)
            print(f"| {fault} | {number} | {rollback_seconds:.1f} | {deploy_seconds:.1f} |")
    print(f"Machine: {machine()} (at end)")


if __name__ == "__main__":
    main()
