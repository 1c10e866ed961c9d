"""Stop the Ansible worker processes that a cancelled playbook run leaves behind.

On cancel, ansible-runner 2.4 SIGKILLs the process group of ansible-playbook. Each
Ansible worker (ansible-core 2.19, WorkerProcess._detach) calls setsid() and so lives
in its own session, outside that group. The workers survive their parent, finish or
hang in the task they were running, and are reparented. Making this process a child
subreaper (Linux prctl) reparents them to us instead of init, so we can find and stop
them. Elsewhere the cleanup is skipped, and orphaned workers may keep running.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

PR_SET_CHILD_SUBREAPER = 36
GRACE_SECONDS = 5.0


def become_child_subreaper() -> bool:
    """Ask Linux to reparent orphaned descendants to this process, and return whether it worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError) as error:
        log.debug("cannot become a child subreaper: %s", error)
        return False


def _parent_pid(stat_text: str) -> int:
    # /proc/<pid>/stat is "pid (comm) state ppid ...". comm may contain spaces and
    # parentheses, so split after its last closing parenthesis.
    return int(stat_text.rsplit(")", 1)[1].split()[1])


def _children_running(program: str) -> list[int]:
    """Return the pids of this process's children whose command line mentions ``program``."""
    me = os.getpid()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if _parent_pid((entry / "stat").read_text()) != me:
                continue
            command_line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        if program in command_line:
            found.append(int(entry.name))
    return found


def _reap(pids: list[int], deadline: float) -> list[int]:
    """Wait for ``pids`` to exit until ``deadline``, and return the ones still running."""
    remaining = list(pids)
    while remaining and time.monotonic() < deadline:
        for pid in list(remaining):
            try:
                finished, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                finished = pid
            if finished == pid:
                remaining.remove(pid)
        if remaining:
            time.sleep(0.1)
    return remaining


def stop_orphaned_workers(program: str = "ansible-playbook") -> int:
    """Terminate, then kill, reparented children running ``program``, and return their count.

    Only children of this process are considered, so unrelated processes are never
    touched. Each gets SIGTERM, then SIGKILL after GRACE_SECONDS, and is reaped.
    """
    pids = _children_running(program)
    if not pids:
        return 0
    log.warning("stopping %d Ansible worker process(es) left by the cancelled run: %s", len(pids), pids)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    stubborn = _reap(pids, time.monotonic() + GRACE_SECONDS)
    for pid in stubborn:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    _reap(stubborn, time.monotonic() + GRACE_SECONDS)
    return len(pids)
