"""The /api/health check: a real query to PostgreSQL and a PING to Redis."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import psycopg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from classroom_manager import database, faults
from classroom_manager.config import Settings
from classroom_manager.logging_setup import one_line

log = logging.getLogger("classroom_manager.health")

REDIS_TIMEOUT_SECONDS = 2

UP = "up"
DOWN = "down"


def check_database(settings: Settings) -> str:
    """Return ``up`` when ``SELECT 1`` on PostgreSQL succeeds, else log the error and return ``down``."""
    try:
        database.ping(settings)
    except psycopg.Error as exc:
        log.warning(
            "health: database at %s:%d is down: %s",
            settings.postgres_host,
            settings.postgres_port,
            one_line(exc),
        )
        return DOWN
    return UP


def check_redis(settings: Settings) -> str:
    """Return ``up`` when Redis replies to PING, else log the error and return ``down``."""
    # A new client per check, without retries, so a down Redis costs at most the timeout.
    client = redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        log.warning("health: redis at %s is down: %s", settings.redis_url_for_logs(), one_line(exc))
        return DOWN
    finally:
        client.close()
    return UP


def build_health_response(settings: Settings) -> tuple[int, dict[str, Any]]:
    """Check both dependencies and return the HTTP status and JSON body of /api/health.

    200 with status ``healthy`` when both are up, and 503 naming the ones that are down
    otherwise. With CLASSROOM_FAULT=unhealthy the 200 response reports ``unhealthy``.
    """
    # The checks run in parallel, so the worst case is one 2 s timeout, not the sum of both.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="health") as executor:
        database_state = executor.submit(check_database, settings)
        redis_state = executor.submit(check_redis, settings)
        services = {"database": database_state.result(), "redis": redis_state.result()}
    down = [name for name, state in services.items() if state == DOWN]
    if down:
        return 503, {
            "success": False,
            "error": {
                "code": "SERVICE_UNAVAILABLE",
                "message": f"{' and '.join(down)} {'is' if len(down) == 1 else 'are'} unreachable",
                "services": services,
            },
            "data": {"version": settings.app_version},
        }

    status = "healthy"
    if settings.fault == faults.UNHEALTHY:
        # Shipline's test fixture: a 200 response whose body reports a failure.
        status = "unhealthy"
    timestamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return 200, {
        "success": True,
        "data": {
            "status": status,
            "timestamp": timestamp,
            "version": settings.app_version,
            "services": services,
        },
    }
