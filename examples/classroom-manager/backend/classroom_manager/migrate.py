"""Schema migrations. ``python3 -m classroom_manager.migrate`` applies the pending ones.

The server calls apply_migrations() at startup as well, so a plain ``docker compose up``
works. A deploy tool can run this command first as a one-off container and stop the
release when it exits non-zero.

Exit codes: 0 when the schema is up to date, 1 when a migration or the database
connection failed, 2 when an environment variable is invalid.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import psycopg

from classroom_manager import database, faults
from classroom_manager.config import ConfigError, Settings, load_settings
from classroom_manager.logging_setup import configure_logging, one_line

log = logging.getLogger("classroom_manager.migrate")

# Key of the PostgreSQL advisory lock that serialises concurrent migration runs, for
# example a one-off migrate container and a server starting at the same time. Any
# constant works if every process that migrates this schema uses the same one.
ADVISORY_LOCK_KEY = 7_263_801_140

# How long to wait for PostgreSQL to accept connections, because on a fresh deploy the
# database container may still be starting.
DATABASE_WAIT_SECONDS = 30
RETRY_INTERVAL_SECONDS = 1
RETRY_LOG_INTERVAL_SECONDS = 10


@dataclass(frozen=True)
class Migration:
    """One schema change. Versions are applied in ascending order and never edited once released."""

    version: int
    description: str
    sql: str


MIGRATIONS = (
    Migration(
        1,
        "create the classrooms table",
        """
        CREATE TABLE IF NOT EXISTS classrooms (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """,
    ),
)

# Added after MIGRATIONS only when CLASSROOM_FAULT=migration-fails, for Shipline's tests.
# It references a table that does not exist, so PostgreSQL rejects it the way it rejects
# a real bad migration, and the whole run rolls back.
BROKEN_MIGRATION = Migration(
    9999,
    "add classrooms.teacher_id, broken on purpose by CLASSROOM_FAULT=migration-fails",
    "ALTER TABLE classrooms ADD COLUMN teacher_id BIGINT REFERENCES teachers (id)",
)


class MigrationError(RuntimeError):
    """Migrations could not be applied. The message names the cause and contains no secret."""


def _connect_when_ready(settings: Settings) -> psycopg.Connection:
    """Connect to PostgreSQL, retrying for up to DATABASE_WAIT_SECONDS."""
    deadline = time.monotonic() + DATABASE_WAIT_SECONDS
    next_log = 0.0
    while True:
        try:
            return database.connect(settings)
        except psycopg.OperationalError as exc:
            # A wrong password is retried too, because psycopg 3.2 raises it as the same
            # OperationalError, without a SQLSTATE, as "the database system is starting up".
            now = time.monotonic()
            if now >= deadline:
                raise MigrationError(
                    f"PostgreSQL at {settings.postgres_host}:{settings.postgres_port} did not accept "
                    f"a connection within {DATABASE_WAIT_SECONDS} s: {one_line(exc)}"
                ) from exc
            if now >= next_log:
                log.warning(
                    "cannot connect to PostgreSQL yet, retrying for up to %d s: %s",
                    deadline - now,
                    one_line(exc),
                )
                next_log = now + RETRY_LOG_INTERVAL_SECONDS
            time.sleep(RETRY_INTERVAL_SECONDS)


def apply_migrations(settings: Settings) -> list[int]:
    """Apply the pending migrations in one transaction and return the versions applied.

    Raise MigrationError when the database is unreachable or a migration fails. In that
    case the transaction rolls back, so no migration of this run stays applied.
    """
    migrations = MIGRATIONS
    if settings.fault == faults.MIGRATION_FAILS:
        log.warning("CLASSROOM_FAULT=migration-fails: adding a broken migration for Shipline's tests")
        migrations = (*MIGRATIONS, BROKEN_MIGRATION)

    applied_now: list[int] = []
    step = "taking the migration lock"
    try:
        with _connect_when_ready(settings) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            step = "reading schema_migrations"
            conn.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    description TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """
            )
            done = {row["version"] for row in conn.execute("SELECT version FROM schema_migrations")}
            for migration in migrations:
                if migration.version in done:
                    continue
                step = f"migration {migration.version} ({migration.description})"
                log.info("applying %s", step)
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO schema_migrations (version, description) VALUES (%s, %s)",
                    (migration.version, migration.description),
                )
                applied_now.append(migration.version)
            step = "committing the migrations"
    except psycopg.Error as exc:
        raise MigrationError(f"{step} failed: {one_line(exc)}; no migration of this run was applied") from exc
    return applied_now


def main() -> int:
    """Apply pending migrations and return the process exit code."""
    configure_logging()
    try:
        settings = load_settings()
    except ConfigError as exc:
        log.error("invalid configuration: %s", exc)
        return 2
    try:
        applied = apply_migrations(settings)
    except MigrationError as exc:
        log.error("migrations failed: %s", exc)
        return 1
    if applied:
        log.info("schema is up to date; applied migrations %s", ", ".join(map(str, applied)))
    else:
        log.info("schema is up to date; no migration was pending")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
