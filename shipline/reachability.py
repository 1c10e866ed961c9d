"""TCP pre-check that every SSH host of the inventory accepts connections before a playbook runs."""

from __future__ import annotations

import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from shipline.inventory import HostAddress

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0
MAX_PARALLEL_CHECKS = 16


@dataclass(frozen=True)
class UnreachableHost:
    """A host whose TCP connect failed, with the reason in plain words."""

    host: HostAddress
    reason: str

    def describe(self) -> str:
        """Return one line naming the host, its address:port and why the connect failed."""
        return f"cannot reach host {self.host.name} at {self.host.address}:{self.host.port}: {self.reason}"


def _connect(host: HostAddress, timeout: float) -> UnreachableHost | None:
    try:
        with socket.create_connection((host.address, host.port), timeout=timeout):
            log.debug("host %s accepts TCP connections on %s:%d", host.name, host.address, host.port)
            return None
    except ConnectionRefusedError:
        reason = "connection refused (is sshd running and the port right?)"
    except TimeoutError:
        reason = f"connect timed out after {timeout:g} s (firewall or wrong address?)"
    except socket.gaierror as error:
        reason = f"host name does not resolve ({error.strerror})"
    except OSError as error:
        reason = error.strerror or str(error)
    return UnreachableHost(host=host, reason=reason)


def find_unreachable(
    hosts: list[HostAddress], timeout: float = CONNECT_TIMEOUT_SECONDS
) -> list[UnreachableHost]:
    """Try a TCP connect to each host that uses a TCP connection and return the failures.

    Hosts with a non-TCP connection (local, docker) are skipped. Connects run in
    parallel, so the whole check takes at most about ``timeout`` seconds.
    """
    tcp_hosts = [host for host in hosts if host.uses_tcp]
    for host in hosts:
        if not host.uses_tcp:
            log.debug("no TCP pre-check for host %s (connection %s)", host.name, host.connection)
    if not tcp_hosts:
        return []

    workers = min(len(tcp_hosts), MAX_PARALLEL_CHECKS)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda host: _connect(host, timeout), tcp_hosts))
    return [result for result in results if result is not None]
