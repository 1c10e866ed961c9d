"""HTTP server of the backend: routes, JSON responses, request logging and shutdown."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit

import psycopg

from classroom_manager import database, faults
from classroom_manager.config import LISTEN_HOST, LISTEN_PORT, ConfigError, Settings, load_settings
from classroom_manager.health import build_health_response
from classroom_manager.logging_setup import configure_logging, one_line
from classroom_manager.migrate import MigrationError, apply_migrations
from classroom_manager.validation import (
    MAX_BODY_BYTES,
    ValidationError,
    parse_json_body,
    validate_classroom_name,
)

log = logging.getLogger("classroom_manager.server")
access_log = logging.getLogger("classroom_manager.access")


class ApiError(Exception):
    """An error that the API returns to the client as a JSON error body."""

    def __init__(self, status: HTTPStatus, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class ClassroomServer(ThreadingHTTPServer):
    """HTTP server that carries the settings and the exit code that main() returns."""

    daemon_threads = True

    def __init__(self, settings: Settings):
        super().__init__((LISTEN_HOST, LISTEN_PORT), RequestHandler)
        self.settings = settings
        self.exit_code = 0
        self._crash_timer: threading.Timer | None = None
        self._crash_lock = threading.Lock()

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        # Replaces socketserver's multi-line traceback on stderr with one log line. It runs
        # inside socketserver's except block, so sys.exc_info() holds the exception.
        log.error("request from %s failed: %r", client_address[0], sys.exc_info()[1])

    def stop(self, exit_code: int) -> None:
        """Make serve_forever() return, from any thread except the one that runs it."""
        self.exit_code = exit_code
        self.shutdown()

    def record_healthy_response(self) -> None:
        """Start the crash timer of CLASSROOM_FAULT=crash-after-healthy on the first healthy response."""
        if self.settings.fault != faults.CRASH_AFTER_HEALTHY:
            return
        with self._crash_lock:
            if self._crash_timer is not None:
                return
            delay = self.settings.fault_delay_seconds
            log.warning(
                "CLASSROOM_FAULT=crash-after-healthy: first healthy response sent, exiting in %g s",
                delay,
            )
            self._crash_timer = threading.Timer(delay, self._crash)
            self._crash_timer.daemon = True
            self._crash_timer.start()

    def _crash(self) -> None:
        log.error("CLASSROOM_FAULT=crash-after-healthy: exiting with code 1 for Shipline's tests")
        self.stop(1)


class RequestHandler(BaseHTTPRequestHandler):
    """Routes /api/health and /api/classrooms and writes one access log line per request."""

    server: ClassroomServer
    server_version = "classroom-manager"
    _status = 0

    def _handle_health(self) -> None:
        status, body = build_health_response(self.server.settings)
        self._send_json(HTTPStatus(status), body)
        if status == HTTPStatus.OK and body["data"]["status"] == "healthy":
            self.server.record_healthy_response()

    def _handle_list_classrooms(self) -> None:
        classrooms = database.list_classrooms(self.server.settings)
        self._send_json(HTTPStatus.OK, {"success": True, "data": classrooms})

    def _handle_create_classroom(self) -> None:
        try:
            name = validate_classroom_name(parse_json_body(self._read_body()))
        except ValidationError as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, "VALIDATION_ERROR", str(exc)) from None
        classroom = database.insert_classroom(self.server.settings, name)
        log.info("created classroom id=%s", classroom["id"])
        self._send_json(HTTPStatus.CREATED, {"success": True, "data": classroom})

    ROUTES: ClassVar[dict[str, dict[str, Callable[[RequestHandler], None]]]] = {
        "/api/health": {"GET": _handle_health},
        "/api/classrooms": {"GET": _handle_list_classrooms, "POST": _handle_create_classroom},
    }

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        started = time.monotonic()
        path = urlsplit(self.path).path
        try:
            methods = self.ROUTES.get(path)
            if methods is None:
                raise ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"no route for {path}")
            handler = methods.get(self.command)
            if handler is None:
                allowed = ", ".join(methods)
                raise ApiError(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    "METHOD_NOT_ALLOWED",
                    f"{self.command} is not allowed on {path}; use {allowed}",
                    {"Allow": allowed},
                )
            handler(self)
        except ApiError as exc:
            self._send_error_json(exc)
        except ConnectionError as exc:
            # The client closed the connection, so no response can reach it.
            log.warning("%s %s: client connection lost: %s", self.command, path, one_line(exc))
        except psycopg.OperationalError as exc:
            log.error("%s %s: database unavailable: %s", self.command, path, one_line(exc))
            self._send_error_json(
                ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "database is unavailable")
            )
        except Exception as exc:
            # Any other failure still gets a JSON 500 response and one log line.
            log.error("%s %s failed: %s: %s", self.command, path, type(exc).__name__, one_line(exc))
            self._send_error_json(
                ApiError(
                    HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "internal error; see the server log"
                )
            )
        finally:
            elapsed_ms = (time.monotonic() - started) * 1000
            access_log.info(
                '%s "%s %s" %d %.1fms',
                self.client_address[0],
                self.command,
                self.path,
                self._status,
                elapsed_ms,
            )

    def _read_body(self) -> bytes:
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            raise ApiError(HTTPStatus.LENGTH_REQUIRED, "VALIDATION_ERROR", "Content-Length header is missing")
        try:
            length = int(raw_length)
        except ValueError:
            raise ApiError(
                HTTPStatus.BAD_REQUEST, "VALIDATION_ERROR", f"Content-Length {raw_length!r} is not an integer"
            ) from None
        if length < 0:
            raise ApiError(HTTPStatus.BAD_REQUEST, "VALIDATION_ERROR", f"Content-Length {length} is negative")
        if length > MAX_BODY_BYTES:
            raise ApiError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                f"request body is {length} bytes; the maximum is {MAX_BODY_BYTES}",
            )
        return self.rfile.read(length)

    def _send_error_json(self, error: ApiError) -> None:
        body = {"success": False, "error": {"code": error.code, "message": error.message}}
        self._send_json(error.status, body, error.headers)

    def _send_json(
        self, status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Records the status for the access log line that _dispatch writes when the request ends.
        self._status = int(code) if str(code).isdigit() else 0

    def log_message(self, format: str, *args: Any) -> None:
        # Reached through log_error() for requests that fail before _dispatch, such as a
        # malformed request line.
        log.warning("%s %s", self.client_address[0], format % args)


def _install_signal_handlers(server: ClassroomServer) -> None:
    def handle(signum: int, _frame: object) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        # shutdown() waits for serve_forever(), which runs in this thread, so it must run in another.
        threading.Thread(target=server.stop, args=(0,), daemon=True).start()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def main() -> int:
    """Apply migrations, serve HTTP until SIGTERM or a test fault, and return the exit code."""
    configure_logging()
    try:
        settings = load_settings()
    except ConfigError as exc:
        log.error("invalid configuration: %s", exc)
        return 2

    if settings.fault:
        log.warning(
            "CLASSROOM_FAULT=%s is set: this image is a deliberately broken test fixture", settings.fault
        )
    if settings.fault == faults.CRASH:
        log.error("CLASSROOM_FAULT=crash: exiting with code 1 at startup for Shipline's tests")
        return 1

    log.info(
        "starting version %s; database %s@%s:%d/%s; redis %s",
        settings.app_version,
        settings.postgres_user,
        settings.postgres_host,
        settings.postgres_port,
        settings.postgres_db,
        settings.redis_url_for_logs(),
    )
    try:
        applied = apply_migrations(settings)
    except MigrationError as exc:
        log.error("migrations failed at startup, exiting: %s", exc)
        return 1
    log.info("schema is up to date; applied migrations: %s", ", ".join(map(str, applied)) or "none")

    server = ClassroomServer(settings)
    _install_signal_handlers(server)
    log.info("listening on %s:%d", LISTEN_HOST, LISTEN_PORT)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    log.info("stopped with exit code %d", server.exit_code)
    return server.exit_code
