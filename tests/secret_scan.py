"""Search logs, artifacts and other files for secret values, in the encodings they leak in.

A secret can reach a log as itself, JSON- or URL-escaped, or base64-encoded, alone or in
the ``user:password`` pair that a registry's basic auth and Docker's config.json carry.
A finding never contains the secret: its excerpt shows the surrounding text with the
match masked, so that a failing test does not leak it in turn.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

MASK = "<SECRET>"
EXCERPT_CONTEXT = 60


@dataclass(frozen=True)
class Leak:
    """One place where a secret was found."""

    secret: str
    encoding: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.secret} ({self.encoding}) in {self.where}: ...{self.excerpt}..."


def encodings(value: str, username: str = "") -> dict[str, str]:
    """Return the forms in which ``value`` can appear in text, keyed by a short description."""
    forms = {
        "plain": value,
        "JSON-escaped": json.dumps(value)[1:-1],
        "URL-encoded": urllib.parse.quote(value, safe=""),
        "base64": base64.b64encode(value.encode()).decode().rstrip("="),
    }
    if username:
        forms["base64 user:password"] = base64.b64encode(f"{username}:{value}".encode()).decode().rstrip("=")
    # Forms equal to the plain value add nothing but duplicate findings.
    return {name: form for name, form in forms.items() if name == "plain" or form != value}


def scan_text(
    secrets: Mapping[str, str], text: str, where: str, usernames: Mapping[str, str] | None = None
) -> list[Leak]:
    """Return every occurrence in ``text`` of each named secret, in any of its encodings."""
    leaks: list[Leak] = []
    for name, value in secrets.items():
        for encoding, form in encodings(value, (usernames or {}).get(name, "")).items():
            start = text.find(form)
            while start != -1:
                before = text[max(0, start - EXCERPT_CONTEXT) : start]
                after = text[start + len(form) : start + len(form) + EXCERPT_CONTEXT]
                excerpt = (before + MASK + after).replace("\n", "\\n")
                leaks.append(Leak(name, encoding, where, excerpt))
                start = text.find(form, start + 1)
    return leaks


def scan_files(
    secrets: Mapping[str, str], paths: Iterable[Path], usernames: Mapping[str, str] | None = None
) -> list[Leak]:
    """Scan each file, and every file below each folder, read as UTF-8 with undecodable bytes replaced."""
    leaks: list[Leak] = []
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            text = file.read_bytes().decode("utf-8", errors="replace")
            leaks += scan_text(secrets, text, str(file), usernames)
    return leaks
