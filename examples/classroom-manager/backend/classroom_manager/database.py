"""PostgreSQL access: connections and the classroom queries.

Every call opens its own short connection. That costs a TCP and authentication round
trip per request, which this test app accepts so that it needs no pool package and
recovers from a restarted database without extra code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from classroom_manager.config import Settings

CONNECT_TIMEOUT_SECONDS = 2
STATEMENT_TIMEOUT_MS = 5000


def connect(settings: Settings) -> psycopg.Connection[dict[str, Any]]:
    """Open a connection that returns rows as dicts and reports timestamps in UTC."""
    return psycopg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        dbname=settings.postgres_db,
        user=settings.postgres_user,
        password=settings.postgres_password,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        application_name="classroom-manager",
        options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c TimeZone=UTC",
        row_factory=dict_row,
    )


def ping(settings: Settings) -> None:
    """Run ``SELECT 1``, raising psycopg.Error when the connection or the query fails."""
    with connect(settings) as conn:
        conn.execute("SELECT 1")


def _classroom_json(row: dict[str, Any]) -> dict[str, Any]:
    created_at: datetime = row["created_at"]
    return {"id": row["id"], "name": row["name"], "created_at": created_at.isoformat()}


def list_classrooms(settings: Settings) -> list[dict[str, Any]]:
    """Return every classroom, oldest first, as JSON-ready dicts."""
    with connect(settings) as conn:
        rows = conn.execute("SELECT id, name, created_at FROM classrooms ORDER BY id").fetchall()
    return [_classroom_json(row) for row in rows]


def insert_classroom(settings: Settings, name: str) -> dict[str, Any]:
    """Insert a classroom and return the stored row as a JSON-ready dict."""
    with connect(settings) as conn:
        row = conn.execute(
            "INSERT INTO classrooms (name) VALUES (%s) RETURNING id, name, created_at", (name,)
        ).fetchone()
    assert row is not None  # INSERT ... RETURNING returns exactly one row
    return _classroom_json(row)
