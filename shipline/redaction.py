"""Keep secret values out of progress output, reports and ansible-runner's artifact files.

ansible-runner 2.4 copies the whole process environment into ``artifacts/<ident>/command``,
and CI uploads that folder, so secrets that reach Ansible as environment variables must
be scrubbed from it. Which variables count as secret: the inventory's SSH key variable,
any name listed by the caller, and any name that matches SECRET_NAME_PATTERN.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MASK = "********"
SECRET_NAME_PATTERN = re.compile(
    r"TOKEN|PASS|SECRET|PRIVATE|CREDENTIAL|WEBHOOK|AUTH|_KEY|KEY_|^KEY$|DSN|DATABASE_URL", re.IGNORECASE
)
# Variables that hold a path to a secret file, not the secret itself.
PATH_NAME_SUFFIXES = ("_FILE", "_PATH", "_SOCK", "_DIR")
# Shorter values would mask ordinary words all over the logs. NOTE: a secret shorter
# than this is still masked in the environment dump, but not inside other text.
MIN_VALUE_LENGTH = 6
# Lines of a multi-line secret (a PEM key body) long enough to mask on their own.
MIN_LINE_LENGTH = 16


def is_secret_name(name: str) -> bool:
    """Return whether an environment variable with this name is treated as a secret."""
    if name.upper().endswith(PATH_NAME_SUFFIXES):
        return False
    return bool(SECRET_NAME_PATTERN.search(name))


class Redactor:
    """Replaces known secret values with MASK in text, data and artifact files."""

    def __init__(self, secret_names: Iterable[str], environ: Mapping[str, str]) -> None:
        self.secret_names = {name for name in environ if is_secret_name(name)} | set(secret_names)
        needles: set[str] = set()
        for name in self.secret_names:
            value = environ.get(name, "")
            if len(value.strip()) < MIN_VALUE_LENGTH:
                continue
            needles.add(value)
            needles.add(value.strip())
            # The same value as it appears inside a JSON string (job_events, command).
            needles.add(json.dumps(value)[1:-1])
            for line in value.splitlines():
                if len(line.strip()) >= MIN_LINE_LENGTH:
                    needles.add(line.strip())
        # Longest first, so a whole key is masked before its individual lines.
        self._needles = sorted(needles, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return ``text`` with every known secret value replaced by MASK."""
        for needle in self._needles:
            if needle in text:
                text = text.replace(needle, MASK)
        return text

    def redact_data(self, data: Any) -> Any:
        """Return a copy of JSON-like ``data`` with secret values masked in every string."""
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, dict):
            return {key: self.redact_data(value) for key, value in data.items()}
        if isinstance(data, list | tuple):
            return [self.redact_data(value) for value in data]
        return data

    def scrub_command_file(self, path: Path) -> None:
        """Mask the secret variables in ansible-runner's ``command`` file (its env dump)."""
        if not path.is_file():
            return
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("could not read %s to mask secrets, deleting it instead: %s", path, error)
            path.unlink(missing_ok=True)
            return
        env = content.get("env")
        if isinstance(env, dict):
            for name in env:
                if name in self.secret_names or is_secret_name(name):
                    env[name] = MASK
        path.write_text(json.dumps(self.redact_data(content)), encoding="utf-8")

    def scrub_tree(self, root: Path) -> int:
        """Mask secrets in every text file under ``root`` and return how many files changed."""
        if not root.is_dir():
            return 0
        changed = 0
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            if path.name == "command":
                self.scrub_command_file(path)
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            redacted = self.redact(text)
            if redacted != text:
                path.write_text(redacted, encoding="utf-8")
                changed += 1
        if changed:
            log.info("masked secret values in %d artifact file(s) under %s", changed, root)
        return changed
