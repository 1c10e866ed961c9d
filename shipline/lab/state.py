"""The lab's state file: where each lab keeps its ports, paths and image references."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

LABEL = "dev.shipline.lab"


def default_root() -> Path:
    """Return the folder that holds one sub-folder per lab (``$XDG_STATE_HOME/shipline/labs``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "shipline" / "labs"


def lab_dir(name: str) -> Path:
    """Return the state folder of the lab called ``name``; SHIPLINE_LAB_DIR overrides it."""
    override = os.environ.get("SHIPLINE_LAB_DIR")
    return Path(override) if override else default_root() / name


@dataclass
class ServerState:
    """One staging server container and the 127.0.0.1 ports that reach it."""

    name: str
    container: str
    ssh_port: int
    http_port: int


@dataclass
class LabState:
    """Everything the lab inventory and the tests read about a running lab."""

    name: str
    directory: str
    network: str
    privileged: bool
    registry_container: str
    registry_host_address: str
    registry_server_address: str
    registry_username: str
    images: dict[str, str] = field(default_factory=dict)
    servers: list[ServerState] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return Path(self.directory)

    def save(self) -> None:
        """Write the state as ``lab.json`` in the lab folder, atomically."""
        target = self.path / "lab.json"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(target)

    @classmethod
    def load(cls, directory: Path) -> LabState:
        """Read ``lab.json`` from a lab folder; raise FileNotFoundError when the lab is not up."""
        data = json.loads((directory / "lab.json").read_text())
        servers = [ServerState(**server) for server in data.pop("servers")]
        return cls(servers=servers, **data)
