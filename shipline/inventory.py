"""Read what the launcher needs from an Ansible inventory: Shipline settings and host addresses.

Settings come from ``group_vars/all.yml`` or ``group_vars/all/*.yml`` through
``yaml.safe_load``, without templating, so reading them can never run a lookup.
Host addresses come from Ansible's own inventory API, because ``ansible_host`` is often a
template such as ``{{ lookup('env', 'STAGING_HOST') }}`` that only Ansible renders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shipline.validation import InputError, validate_env_name, validate_env_names

log = logging.getLogger(__name__)

REQUIRED_ENV_KEY = "shipline_required_env"
SSH_KEY_ENV_KEY = "shipline_ssh_key_env"
KNOWN_HOSTS_ENV_KEY = "shipline_known_hosts_env"
ENVIRONMENT_KEY = "shipline_environment"

# Connection plugins that open a TCP connection to ansible_host:ansible_port. Hosts
# with any other connection (local, docker, ...) get no reachability pre-check.
TCP_CONNECTIONS = frozenset(
    {
        "ssh",
        "smart",
        "paramiko",
        "paramiko_ssh",
        "ansible.builtin.ssh",
        "ansible.builtin.paramiko_ssh",
    }
)
DEFAULT_SSH_PORT = 22


@dataclass(frozen=True)
class InventorySettings:
    """Shipline keys from an inventory's ``all`` group variables.

    ``environment`` is ``shipline_environment`` when it is a plain string, else the name
    of the inventory directory.
    """

    path: Path
    environment: str
    required_env: list[str] = field(default_factory=list)
    ssh_key_env: str | None = None
    known_hosts_env: str | None = None


@dataclass(frozen=True)
class HostAddress:
    """Connection target of one inventory host: address, port and connection plugin."""

    name: str
    address: str
    port: int
    connection: str

    @property
    def uses_tcp(self) -> bool:
        """Whether the connection plugin opens a TCP connection to address:port."""
        return self.connection in TCP_CONNECTIONS


class _VaultTolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads ``!vault`` values as opaque placeholders instead of failing."""


def _construct_vault(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return "<vault-encrypted>"


_VaultTolerantLoader.add_constructor("!vault", _construct_vault)


def inventory_base_dir(inventory: Path) -> Path:
    """Return the directory whose ``group_vars`` Ansible reads for ``inventory``."""
    return inventory if inventory.is_dir() else inventory.parent


def _all_group_var_files(base: Path) -> list[Path]:
    group_vars = base / "group_vars"
    files = [group_vars / name for name in ("all.yml", "all.yaml")]
    found = [path for path in files if path.is_file()]
    all_dir = group_vars / "all"
    if all_dir.is_dir():
        found.extend(
            sorted(path for path in all_dir.iterdir() if path.suffix in (".yml", ".yaml") and path.is_file())
        )
    return found


def _load_mapping(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("$ANSIBLE_VAULT"):
        log.debug("skipping vault-encrypted file %s", path)
        return {}
    try:
        data = yaml.load(text, Loader=_VaultTolerantLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        first_line = str(error).splitlines()[0]
        raise InputError(f"{path} is not valid YAML ({first_line}). Fix the file.") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path} must contain a mapping of variables, found {type(data).__name__}.")
    return data


def load_settings(inventory: Path) -> InventorySettings:
    """Read the Shipline keys of the ``all`` group from the inventory's group_vars files.

    Files are merged in the order Ansible reads them (``all.yml``, then ``all/*.yml``
    sorted by name), later keys winning. Raises InputError for a missing inventory, a
    malformed file or a key of the wrong type.
    """
    if not inventory.exists():
        raise InputError(
            f"--inventory {str(inventory)!r} does not exist. Pass an inventory directory or file."
        )

    merged: dict[str, Any] = {}
    sources: dict[str, Path] = {}
    for path in _all_group_var_files(inventory_base_dir(inventory)):
        data = _load_mapping(path)
        merged.update(data)
        for key in data:
            sources[key] = path

    required_env: list[str] = []
    if REQUIRED_ENV_KEY in merged:
        required_env = validate_env_names(
            merged[REQUIRED_ENV_KEY], REQUIRED_ENV_KEY, str(sources[REQUIRED_ENV_KEY])
        )

    ssh_key_env = None
    if merged.get(SSH_KEY_ENV_KEY) is not None:
        ssh_key_env = validate_env_name(
            merged[SSH_KEY_ENV_KEY], SSH_KEY_ENV_KEY, str(sources[SSH_KEY_ENV_KEY])
        )

    known_hosts_env = None
    if merged.get(KNOWN_HOSTS_ENV_KEY) is not None:
        known_hosts_env = validate_env_name(
            merged[KNOWN_HOSTS_ENV_KEY], KNOWN_HOSTS_ENV_KEY, str(sources[KNOWN_HOSTS_ENV_KEY])
        )

    # The environment name labels reports and notifications. A templated value cannot
    # be rendered here, so the inventory directory's name is used instead.
    environment = merged.get(ENVIRONMENT_KEY)
    if not isinstance(environment, str) or not environment or "{" in environment:
        environment = inventory_base_dir(inventory).resolve().name
    return InventorySettings(
        path=inventory,
        environment=environment,
        required_env=required_env,
        ssh_key_env=ssh_key_env,
        known_hosts_env=known_hosts_env,
    )


_plugin_loader_ready = False


def _init_plugin_loader_once(init_plugin_loader: Callable[[], None]) -> None:
    global _plugin_loader_ready
    if not _plugin_loader_ready:
        init_plugin_loader()
        _plugin_loader_ready = True


def list_hosts(inventory: Path) -> list[HostAddress]:
    """Return every host of ``inventory`` with its rendered address, port and connection.

    Uses Ansible's InventoryManager and VariableManager in-process, so group_vars,
    host_vars and templates resolve as they will in the playbook. ANSIBLE_CONFIG must be
    set before the first call because Ansible reads its configuration on import.
    Raises InputError when the inventory has no hosts or a host's address does not render.
    """
    from ansible import constants
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader
    from ansible.template import Templar
    from ansible.vars.manager import VariableManager

    # The ansible CLIs call this first. Without it, fully qualified plugin names such as
    # lookup('ansible.builtin.env', ...) do not resolve.
    _init_plugin_loader_once(init_plugin_loader)
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[str(inventory)])
    variables = VariableManager(loader=loader, inventory=manager)
    default_port = constants.DEFAULT_REMOTE_PORT or DEFAULT_SSH_PORT
    default_connection = constants.DEFAULT_TRANSPORT or "ssh"

    hosts: list[HostAddress] = []
    for host in manager.get_hosts():
        host_vars = variables.get_vars(host=host, include_hostvars=False)
        templar = Templar(loader=loader, variables=host_vars)
        try:
            address = templar.template(
                host_vars.get("ansible_host", host_vars.get("ansible_ssh_host", host.name))
            )
            port = templar.template(
                host_vars.get("ansible_port", host_vars.get("ansible_ssh_port", default_port))
            )
            connection = templar.template(host_vars.get("ansible_connection", default_connection))
        except AnsibleError as error:
            first_line = str(error).splitlines()[0]
            raise InputError(
                f"host {host.name} in {inventory}: its connection variables do not render "
                f"({first_line}). Fix the inventory or set the variables it reads."
            ) from error

        address = str(address).strip()
        if not address:
            raise InputError(
                f"host {host.name} in {inventory} has an empty ansible_host. "
                "Set the environment variable or inventory value it comes from."
            )
        try:
            port_number = int(port)
        except (TypeError, ValueError) as error:
            raise InputError(
                f"host {host.name} in {inventory} has ansible_port {port!r}, which is not a port number."
            ) from error
        hosts.append(
            HostAddress(name=host.name, address=address, port=port_number, connection=str(connection))
        )

    if not hosts:
        raise InputError(
            f"inventory {inventory} contains no hosts. Check its hosts file (for example hosts.yml)."
        )
    return hosts
