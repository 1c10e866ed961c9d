#!/usr/bin/python
"""Ansible module: take or release a deploy lock, an atomic mkdir with a JSON details file inside."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: shipline_deploy_lock
short_description: Take or release a deploy lock made of an atomic mkdir and a details file
description:
  - With O(state=present), creates the folder O(path) with C(mkdir), which succeeds for exactly one
    caller, and writes C(holder.json) into it (holder, sha, run, action, since, token). While another
    holder has it, retries every O(poll) seconds until O(timeout) seconds have passed, then returns
    RV(acquired) false with the holder's details in RV(lock). It does not fail then, so the caller
    decides the message.
  - A lock whose C(since) is more than O(stale_after) seconds old, or any lock when O(force) is true,
    is broken - the folder is renamed away (atomic, so two breakers cannot both succeed) and removed -
    and one JSON line describing it is appended to O(log_path).
  - With O(state=absent), removes the lock only when its C(holder.json) carries O(token), so a run
    whose lock was broken never removes the next holder's lock.
  - Times are the server's clock, in UTC.
options:
  path:
    description: The lock folder, for example C(<app dir>/.deploy.lock). Its parent must exist.
    type: path
    required: true
  state:
    description: V(present) takes the lock, V(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  holder:
    description: Who takes the lock, shown to anyone who waits for it.
    type: str
    default: ""
  sha:
    description: The release the holder deploys or rolls back to.
    type: str
    default: ""
  run:
    description: Link to the holder's CI run, when there is one.
    type: str
    default: ""
  action:
    description: What the holder does, for example V(deploy) or V(rollback).
    type: str
    default: deploy
  timeout:
    description: Seconds to wait for another holder to release the lock. V(0) tries once.
    type: float
    default: 600
  poll:
    description: Seconds between two attempts while waiting.
    type: float
    default: 5
  stale_after:
    description: Age in seconds after which another holder's lock is broken.
    type: float
    default: 1800
  force:
    description: Break the lock whoever holds it and however young it is.
    type: bool
    default: false
  log_path:
    description: File that gets one JSON line per broken lock. Empty logs nowhere.
    type: path
    default: ""
  token:
    description: With O(state=absent), the RV(token) returned when the lock was taken.
    type: str
    default: ""
author: Shipline
"""

EXAMPLES = r"""
- name: Take the deploy lock, waiting up to 10 minutes
  shipline_deploy_lock:
    path: /srv/classroom-manager-staging/.deploy.lock
    holder: alice
    sha: "{{ shipline_sha }}"
    timeout: 600
  register: lock

- name: Release the deploy lock
  shipline_deploy_lock:
    path: /srv/classroom-manager-staging/.deploy.lock
    state: absent
    token: "{{ lock.token }}"
"""

RETURN = r"""
acquired:
  description: Whether this call took the lock (O(state=present)).
  type: bool
  returned: always
token:
  description: Random id written into C(holder.json); pass it to O(state=absent).
  type: str
  returned: when acquired
lock:
  description:
    - With RV(acquired) true, the details this call wrote. With RV(acquired) false, the details of the
      holder that kept the lock until the timeout - C(holder), C(sha), C(run), C(action), C(since).
  type: dict
  returned: state=present
broken:
  description: The details of a lock this call broke, with C(reason) (V(stale) or V(forced)) and C(age) in seconds.
  type: dict
  returned: when a lock was broken
waited:
  description: Seconds spent waiting for another holder.
  type: float
  returned: state=present
released:
  description: Whether this call removed the lock (O(state=absent)).
  type: bool
  returned: state=absent
"""

DETAILS_FILE = "holder.json"
PUBLIC_KEYS = ("holder", "sha", "run", "action", "since")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 (datetime.UTC needs Python 3.11; servers may have 3.10)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_details(path: str) -> dict:
    """Return the lock's holder.json, or an empty dict while it is missing or unreadable."""
    try:
        with open(os.path.join(path, DETAILS_FILE), encoding="utf-8") as handle:
            details = json.load(handle)
    except (OSError, ValueError):
        return {}
    return details if isinstance(details, dict) else {}


def lock_age(path: str, details: dict, now: datetime) -> float | None:
    """Return the lock's age in seconds from its ``since``, else the folder's mtime; None when it is gone."""
    since = details.get("since")
    if isinstance(since, str):
        try:
            return (now - datetime.fromisoformat(since.replace("Z", "+00:00"))).total_seconds()
        except ValueError:
            pass
    try:
        return now.timestamp() - os.stat(path).st_mtime
    except FileNotFoundError:
        return None


def public(details: dict) -> dict:
    """Return the details a waiting run may show: no token."""
    return {key: details.get(key, "") for key in PUBLIC_KEYS}


def try_create(path: str, details: dict) -> bool:
    """Create the lock folder and its details file; return False when the folder already exists."""
    try:
        os.mkdir(path, 0o750)
    except FileExistsError:
        return False
    temporary = os.path.join(path, f".{DETAILS_FILE}.{details['token']}")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(details, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, os.path.join(path, DETAILS_FILE))
    return True


def remove(path: str) -> bool:
    """Rename the lock folder aside, then delete it; return False when it was already gone."""
    aside = f"{path}.removed-{secrets.token_hex(4)}"
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return False
    shutil.rmtree(aside, ignore_errors=True)
    return True


def log_break(log_path: str, entry: dict) -> None:
    if not log_path:
        return
    descriptor = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")


def acquire(params: dict, clock=time.monotonic, sleep=time.sleep, now=utc_now) -> dict:
    """Take the lock as ``params`` describe; return the module result."""
    path = params["path"]
    token = secrets.token_hex(8)
    start = clock()
    deadline = start + max(params["timeout"], 0.0)
    broken = None
    held_by: dict = {}
    while True:
        moment = now()
        details = {
            "holder": params["holder"],
            "sha": params["sha"],
            "run": params["run"],
            "action": params["action"],
            "since": iso(moment),
            "token": token,
        }
        if try_create(path, details):
            result = {"changed": True, "acquired": True, "token": token, "lock": public(details)}
            result["waited"] = round(clock() - start, 3)
            if broken:
                result["broken"] = broken
            return result

        held_by = read_details(path)
        age = lock_age(path, held_by, moment)
        if age is None:
            continue  # released between our mkdir and the read: try again at once
        reason = ""
        if params["force"] and broken is None:
            reason = "forced"
        elif age > params["stale_after"]:
            reason = "stale"
        # NOTE: between the read above and the rename below, the holder may release the lock
        # and a new run may take it. That young lock is then broken too. The window is milliseconds.
        if reason and remove(path):
            broken = {**public(held_by), "reason": reason, "age": round(age, 1)}
            log_break(
                params["log_path"],
                {"event": "lock broken", "at": iso(moment), "by": params["holder"], "by_sha": params["sha"], **broken},
            )
            continue

        remaining = deadline - clock()
        if remaining <= 0:
            return {
                "changed": bool(broken),
                "acquired": False,
                "lock": public(held_by),
                "waited": round(clock() - start, 3),
                **({"broken": broken} if broken else {}),
            }
        sleep(min(params["poll"], remaining))


def release(params: dict) -> dict:
    """Remove the lock when it carries ``params['token']``; return the module result."""
    path = params["path"]
    if not os.path.isdir(path):
        return {"changed": False, "released": False, "msg": f"{path} does not exist: no lock to release"}
    details = read_details(path)
    if not params["token"] or details.get("token") != params["token"]:
        return {
            "changed": False,
            "released": False,
            "lock": public(details),
            "msg": f"{path} is held by {details.get('holder') or 'an unknown holder'} now, "
            "not by this run; left in place",
        }
    released = remove(path)
    return {"changed": released, "released": released}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "holder": {"type": "str", "default": ""},
            "sha": {"type": "str", "default": ""},
            "run": {"type": "str", "default": ""},
            "action": {"type": "str", "default": "deploy"},
            "timeout": {"type": "float", "default": 600},
            "poll": {"type": "float", "default": 5},
            "stale_after": {"type": "float", "default": 1800},
            "force": {"type": "bool", "default": False},
            "log_path": {"type": "path", "default": ""},
            "token": {"type": "str", "default": "", "no_log": False},
        },
        supports_check_mode=False,
    )
    if module.params["poll"] <= 0:
        module.fail_json(msg=f"poll must be more than 0 seconds, got {module.params['poll']}")
    releasing = module.params["state"] == "absent"
    try:
        result = release(module.params) if releasing else acquire(module.params)
    except OSError as error:
        verb = "release" if releasing else "take"
        module.fail_json(msg=f"could not {verb} the deploy lock {module.params['path']}: {error}")
    if result.get("broken"):
        broken = result["broken"]
        module.warn(
            f"Broke the {broken['reason']} deploy lock {module.params['path']} held by "
            f"{broken['holder'] or 'an unknown holder'} (sha {broken['sha'] or '?'}, run {broken['run'] or '-'}) "
            f"since {broken['since'] or '?'}, {broken['age']:.0f} s old."
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
