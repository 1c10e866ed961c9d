"""A webhook receiver on 127.0.0.1 for the tests of Shipline's notifications.

It replaces a Slack-compatible incoming webhook: it stores the path and body of every
POST and responds with the status the test sets.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class WebhookReceiver:
    """Messages the receiver recorded. Give each run its own path to tell their messages apart."""

    base_url: str = ""
    status: int = 200
    messages: list[tuple[str, str]] = field(default_factory=list)

    def url(self, path: str = "hook") -> str:
        """Return the URL that records its posts under ``path``."""
        return f"{self.base_url}/{path}"

    def bodies(self, path: str = "hook") -> list[str]:
        """Return the bodies posted to ``path``, in arrival order."""
        return [body for posted_to, body in self.messages if posted_to == f"/{path}"]


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """Serve a receiver from a thread until the block ends."""
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            receiver.messages.append((self.path, self.rfile.read(length).decode("utf-8", errors="replace")))
            self.send_response(receiver.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
