"""Turn the SSH key and known_hosts content held in environment variables into private temp files.

CI stores the key as a secret whose value is the key text, but ssh needs a file. The
files live in a fresh 0700 directory, each file is 0600, and the directory is removed
when the context exits, including on an exception or SystemExit from a signal handler.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from shipline.inventory import InventorySettings

log = logging.getLogger(__name__)

SSH_KEY_FILE_VAR = "SHIPLINE_SSH_KEY_FILE"
KNOWN_HOSTS_FILE_VAR = "SHIPLINE_KNOWN_HOSTS_FILE"


def _normalize_file_text(value: str) -> str:
    """Return ``value`` with LF line ends and a final newline, as OpenSSH expects."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def _write_private_file(path: Path, content: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(content)


class SecretFiles:
    """Context manager that writes the key files and returns the variables pointing at them.

    ``__enter__`` returns a dict such as ``{"SHIPLINE_SSH_KEY_FILE": "/tmp/shipline-.../ssh_key"}``
    with an entry for each setting the inventory names whose variable is set and not
    empty. Commands that need the files check the variables beforehand (exit 2), so
    skipping an unset one here only affects build, which does not connect to servers.
    """

    def __init__(self, settings: InventorySettings, environ: Mapping[str, str]) -> None:
        self._settings = settings
        self._environ = environ
        self._directory: Path | None = None

    def __enter__(self) -> dict[str, str]:
        candidates = [
            (self._settings.ssh_key_env, "ssh_key", SSH_KEY_FILE_VAR),
            (self._settings.known_hosts_env, "known_hosts", KNOWN_HOSTS_FILE_VAR),
        ]
        wanted = [
            (source, filename, target)
            for source, filename, target in candidates
            if source and self._environ.get(source, "").strip()
        ]
        exported: dict[str, str] = {}
        if not wanted:
            return exported

        # mkdtemp creates the directory with mode 0700.
        self._directory = Path(tempfile.mkdtemp(prefix="shipline-secrets-"))
        try:
            for source, filename, target in wanted:
                path = self._directory / filename
                _write_private_file(path, _normalize_file_text(self._environ[source]))
                exported[target] = str(path)
                log.debug("wrote the content of %s to %s", source, path)
        except BaseException:
            # __exit__ does not run when __enter__ raises, so clean up here.
            self.remove()
            raise
        return exported

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.remove()

    def remove(self) -> None:
        """Delete the temp directory and the files in it; safe to call twice."""
        if self._directory is None:
            return
        shutil.rmtree(self._directory, ignore_errors=True)
        log.debug("removed %s", self._directory)
        self._directory = None
