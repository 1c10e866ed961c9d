"""Jinja2 filters that add a record to a release history, trim it, and summarise it.

A release history is the JSON document ``<app dir>/releases.json``::

    {"format": 1, "project": "...", "keep": 5, "max_records": 20, "records": [oldest, ..., newest]}

Each record's ``outcome`` is ``deployed``, ``failed``, ``rolled_back`` or
``rollback_failed``. A release is *kept* while its sha is among the ``keep`` most recent
distinct shas that have a ``deployed`` record, ranked by their latest such record. The
documentation of each filter is in the YAML file of the same name beside this one.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ansible.errors import AnsibleFilterError

DEPLOYED = "deployed"
DEFAULT_KEEP = 5
DEFAULT_MAX_RECORDS = 20


def _check_records(records: Any) -> list[dict[str, Any]]:
    """Return ``records`` as a list, or raise when it is not a list of records with a sha and outcome."""
    if records is None or records == "":
        return []
    if not isinstance(records, list):
        raise AnsibleFilterError(f"release history records must be a list, got {type(records).__name__}")
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get("sha"), str):
            raise AnsibleFilterError(f"release history record {index} has no sha: {record!r}")
        if not isinstance(record.get("outcome"), str):
            raise AnsibleFilterError(f"release history record {index} ({record['sha']}) has no outcome")
    return records


def _check_count(value: Any, name: str) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"{name} must be a whole number, got {value!r}") from None
    if count < 1:
        raise AnsibleFilterError(f"{name} must be at least 1, got {count}")
    return count


def _latest_deployed(records: list[dict[str, Any]]) -> dict[str, int]:
    """Map each sha that was deployed to the index of its latest deployed record."""
    latest: dict[str, int] = {}
    for index, record in enumerate(records):
        if record["outcome"] == DEPLOYED:
            latest[record["sha"]] = index
    return latest


def _kept_shas(records: list[dict[str, Any]], keep: int) -> list[str]:
    """Return the kept releases' shas, the most recently deployed first."""
    latest = _latest_deployed(records)
    return sorted(latest, key=latest.__getitem__, reverse=True)[:keep]


def _references(records: list[dict[str, Any]]) -> list[str]:
    """Return every image reference and digest the records name, without repeats, in record order."""
    found: list[str] = []
    for record in records:
        images = record.get("images") or {}
        if not isinstance(images, dict):
            continue
        for image in images.values():
            if not isinstance(image, dict):
                continue
            for key in ("reference", "digest"):
                value = image.get(key)
                if isinstance(value, str) and value and value not in found:
                    found.append(value)
    return found


def _last_good_sha(records: list[dict[str, Any]], kept: list[str]) -> str:
    """Return the newest ``serving_sha`` that is still a kept release, or an empty string."""
    for record in reversed(records):
        serving = record.get("serving_sha")
        if serving and serving in kept:
            return serving
    return ""


def release_history_summary(records: Any, keep: Any = DEFAULT_KEEP) -> dict[str, Any]:
    """Summarise a history: kept shas, the last good release, the one before it, and image references."""
    records = _check_records(records)
    keep = _check_count(keep, "keep")
    kept = _kept_shas(records, keep)
    latest = _latest_deployed(records)
    last_good = _last_good_sha(records, kept)
    previous = ""
    if last_good in kept:
        older = kept[kept.index(last_good) + 1 :]
        previous = older[0] if older else ""
    kept_records = [records[latest[sha]] for sha in kept]
    return {
        "kept_shas": kept,
        "last_good_sha": last_good,
        "previous_sha": previous,
        "releases": {sha: records[latest[sha]] for sha in kept},
        "references": _references(records),
        "kept_references": _references(kept_records),
    }


def release_history_update(
    records: Any, record: dict[str, Any], keep: Any = DEFAULT_KEEP, max_records: Any = DEFAULT_MAX_RECORDS
) -> dict[str, Any]:
    """Append ``record`` and trim the history; return the new records and the dropped ones.

    A record stays when it is the latest deployed record of a kept release, or when it is
    among the newest ``max_records`` records and is not a deployed record of a release
    that is no longer kept. ``dropped_shas`` lists the shas that no remaining record names,
    so their release folders can go.
    """
    if not isinstance(record, dict):
        raise AnsibleFilterError(f"the record to add must be a mapping, got {type(record).__name__}")
    records = [*_check_records(records), record]
    _check_records(records)
    keep = _check_count(keep, "keep")
    max_records = _check_count(max_records, "max_records")

    kept = _kept_shas(records, keep)
    latest = _latest_deployed(records)
    pinned = {latest[sha] for sha in kept}
    window_start = len(records) - max_records
    remaining: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    for index, item in enumerate(records):
        stale_release = item["outcome"] == DEPLOYED and item["sha"] not in kept
        if index in pinned or (index >= window_start and not stale_release):
            remaining.append(item)
        else:
            dropped.append(item)

    still_named = {item["sha"] for item in remaining}
    dropped_shas: list[str] = []
    for item in dropped:
        if item["sha"] not in still_named and item["sha"] not in dropped_shas:
            dropped_shas.append(item["sha"])
    return {"records": remaining, "dropped": dropped, "dropped_shas": dropped_shas, "kept_shas": kept}


def release_history_protected_references(slurped: Any) -> dict[str, Any]:
    """Collect the image references of every kept release in a list of slurped releases.json files.

    A file that could not be read or parsed is listed in ``errors``: its kept images are
    unknown, so the caller must not remove any image on the strength of this result.
    """
    if not isinstance(slurped, list):
        raise AnsibleFilterError(f"expected the list of slurp results, got {type(slurped).__name__}")
    references: list[str] = []
    errors: list[str] = []
    for result in slurped:
        source = result.get("source") or str(result.get("item") or "an unnamed file")
        if result.get("failed") or "content" not in result:
            errors.append(f"{source}: {result.get('msg') or 'not read'}")
            continue
        try:
            document = json.loads(base64.b64decode(result["content"]))
            summary = release_history_summary(document.get("records"), document.get("keep", DEFAULT_KEEP))
        except (binascii.Error, ValueError, AttributeError, AnsibleFilterError) as error:
            errors.append(f"{source}: {error}")
            continue
        references.extend(ref for ref in summary["kept_references"] if ref not in references)
    return {"references": references, "errors": errors}


class FilterModule:
    """The release history filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "release_history_summary": release_history_summary,
            "release_history_update": release_history_update,
            "release_history_protected_references": release_history_protected_references,
        }
