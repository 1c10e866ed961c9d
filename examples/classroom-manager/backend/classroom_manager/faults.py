"""Deliberate faults that exist only for Shipline's end-to-end tests.

The tests build an image with ``--build-arg FAULT=<name>``, which the Dockerfile turns into
the ``CLASSROOM_FAULT`` environment variable. The image built for that test commit is then
broken the way a bad release is, so the deploy under test has a real failure to detect.
An image built without FAULT behaves normally.

- ``unhealthy``: /api/health returns 200 with ``"success": true`` and ``"status":
  "unhealthy"``. This endpoint lies, and a deploy tool must still reject it by reading the
  body.
- ``crash``: the server exits with code 1 at startup, which is a crash loop under a restart
  policy.
- ``crash-after-healthy``: the server runs normally, then exits with code 1 about
  CLASSROOM_FAULT_DELAY seconds (default 5) after its first healthy /api/health response.
- ``migration-fails``: a broken migration is added after the real ones, so applying
  migrations fails with a PostgreSQL error and exit code 1. This happens in the migrate
  command and in the migrations that the server applies at startup.
"""

UNHEALTHY = "unhealthy"
CRASH = "crash"
CRASH_AFTER_HEALTHY = "crash-after-healthy"
MIGRATION_FAILS = "migration-fails"

NAMES = (UNHEALTHY, CRASH, CRASH_AFTER_HEALTHY, MIGRATION_FAILS)

DEFAULT_DELAY_SECONDS = 5.0
