#!/usr/bin/env python3
"""Ansible inventory script for a running Shipline lab.

Reads lab.json from SHIPLINE_LAB_DIR, or from the state folder of the lab named by
SHIPLINE_LAB_NAME (default "default"), and lists its staging servers.
"""

import json
import os
import sys
from pathlib import Path


def lab_folder() -> Path:
    override = os.environ.get("SHIPLINE_LAB_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "shipline" / "labs" / os.environ.get("SHIPLINE_LAB_NAME", "default")


def main() -> int:
    if "--host" in sys.argv:
        print("{}")
        return 0
    folder = lab_folder()
    try:
        state = json.loads((folder / "lab.json").read_text())
    except FileNotFoundError:
        print(f"lab inventory: no lab at {folder}; start one with 'shipline lab up'", file=sys.stderr)
        return 1
    hostvars = {
        server["name"]: {
            "ansible_host": "127.0.0.1",
            "ansible_port": server["ssh_port"],
            "lab_container": server["container"],
            "lab_http_port": server["http_port"],
        }
        for server in state["servers"]
    }
    inventory = {
        "all": {
            "vars": {
                "lab_dir": str(folder),
                "lab_name": state["name"],
                "lab_registry_host_address": state["registry_host_address"],
                "lab_registry_server_address": state["registry_server_address"],
                "lab_registry_username": state["registry_username"],
                "lab_images": state["images"],
            }
        },
        "staging": {"hosts": sorted(hostvars)},
        "_meta": {"hostvars": hostvars},
    }
    print(json.dumps(inventory, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
