"""Settings of the backend, read and validated from environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from classroom_manager import faults

# Fixed, because the frontend's nginx.conf and the compose file expect port 8000.
LISTEN_HOST = "0.0.0.0"  # noqa: S104 - the server must be reachable from other containers
LISTEN_PORT = 8000

DEFAULT_POSTGRES_HOST = "postgres"
DEFAULT_POSTGRES_PORT = 5432
DEFAULT_REDIS_URL = "redis://redis:6379/0"
DEFAULT_APP_VERSION = "dev"
REDIS_URL_SCHEMES = ("redis", "rediss", "unix")


class ConfigError(ValueError):
    """An environment variable is missing or has an invalid value."""


@dataclass(frozen=True)
class Settings:
    """Validated configuration of one backend process."""

    postgres_host: str
    postgres_port: int
    postgres_db: str
    postgres_user: str
    postgres_password: str = field(repr=False)
    redis_url: str = field(repr=False)
    app_version: str
    # Empty, or one of faults.NAMES.
    fault: str
    fault_delay_seconds: float

    def redis_url_for_logs(self) -> str:
        """Return REDIS_URL with its password replaced by ``***``."""
        return redact_url_password(self.redis_url)


def redact_url_password(url: str) -> str:
    """Return ``url`` with the password in its user info replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user_info, host_port = parts.netloc.rsplit("@", 1)
    user = user_info.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host_port}"))


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ConfigError(f"{name} is missing or empty; set it in the container's environment")
    return value


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "")
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer; set a TCP port from 1 to 65535") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{name}={port} is out of range; set a TCP port from 1 to 65535")
    return port


def _redis_url(environ: Mapping[str, str]) -> str:
    url = environ.get("REDIS_URL", "") or DEFAULT_REDIS_URL
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_URL_SCHEMES:
        shown = redact_url_password(url)
        raise ConfigError(
            f"REDIS_URL={shown!r} is invalid; it must start with redis://, rediss:// or unix://"
        )
    return url


def _fault(environ: Mapping[str, str]) -> str:
    fault = environ.get("CLASSROOM_FAULT", "")
    if fault and fault not in faults.NAMES:
        raise ConfigError(
            f"CLASSROOM_FAULT={fault!r} is not a known fault; "
            f"leave it empty or use one of: {', '.join(faults.NAMES)}"
        )
    return fault


def _fault_delay(environ: Mapping[str, str]) -> float:
    raw = environ.get("CLASSROOM_FAULT_DELAY", "")
    if not raw:
        return faults.DEFAULT_DELAY_SECONDS
    try:
        delay = float(raw)
    except ValueError:
        raise ConfigError(f"CLASSROOM_FAULT_DELAY={raw!r} is not a number of seconds") from None
    if not 0 <= delay < float("inf"):
        raise ConfigError(f"CLASSROOM_FAULT_DELAY={raw!r} must be a finite number of seconds, 0 or more")
    return delay


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """Read the settings from ``environ``, raising ConfigError on the first invalid variable."""
    return Settings(
        postgres_host=environ.get("POSTGRES_HOST", "") or DEFAULT_POSTGRES_HOST,
        postgres_port=_port(environ, "POSTGRES_PORT", DEFAULT_POSTGRES_PORT),
        postgres_db=_required(environ, "POSTGRES_DB"),
        postgres_user=_required(environ, "POSTGRES_USER"),
        postgres_password=_required(environ, "POSTGRES_PASSWORD"),
        redis_url=_redis_url(environ),
        app_version=environ.get("APP_VERSION", "") or DEFAULT_APP_VERSION,
        fault=_fault(environ),
        fault_delay_seconds=_fault_delay(environ),
    )
