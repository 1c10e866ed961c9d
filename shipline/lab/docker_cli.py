"""Thin wrapper around the docker CLI, used by the lab for every engine call."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Sequence

log = logging.getLogger(__name__)


class DockerError(RuntimeError):
    """A docker CLI call exited non-zero."""


def docker(
    *args: str,
    input_bytes: bytes | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
    timeout: float | None = 600,
) -> subprocess.CompletedProcess[str]:
    """Run ``docker ARGS`` and return the completed process with text output.

    Raises DockerError with the command and its stderr when ``check`` is true and the
    command fails. ``input_bytes`` is sent on stdin (used for ``docker import`` and
    ``docker login --password-stdin``).
    """
    command = ["docker", *args]
    log.debug("running %s", " ".join(command[:4]))
    completed = subprocess.run(
        command,
        input=input_bytes,
        capture_output=True,
        check=False,
        env=env,
        timeout=timeout,
    )
    result = subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode(errors="replace"),
        completed.stderr.decode(errors="replace"),
    )
    if check and result.returncode != 0:
        raise DockerError(f"docker {' '.join(args[:3])} failed (exit {result.returncode}): {result.stderr.strip()}")
    return result


def ids(*args: Sequence[str] | str) -> list[str]:
    """Run a docker listing command with ``-q`` semantics and return the non-empty lines."""
    flat = [a for arg in args for a in ([arg] if isinstance(arg, str) else arg)]
    return [line for line in docker(*flat).stdout.splitlines() if line.strip()]
