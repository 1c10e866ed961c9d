#!/usr/bin/env python3
"""A health endpoint stub for the scenarios, in the shape of the classroom manager's /api/health.

Usage: health_stub.py PORT [ADDRESS]. Serves on ADDRESS (default 127.0.0.1):PORT.
/healthy and /api/health return 200 with a healthy body, /unhealthy returns 503 with an
unhealthy body. Both bodies report the version in the environment variable STUB_VERSION.
"""

import http.server
import json
import os
import signal
import sys

PORT = int(sys.argv[1])
ADDRESS = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
VERSION = os.environ.get("STUB_VERSION", "unknown")
HEALTHY = (200, {"success": True, "data": {"status": "healthy", "version": VERSION}})
ANSWERS = {
    "/healthy": HEALTHY,
    "/api/health": HEALTHY,
    "/unhealthy": (503, {"success": False, "data": {"status": "unhealthy", "version": VERSION}}),
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, document = ANSWERS.get(self.path, (404, {"success": False, "error": "not found"}))
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# As a container's PID 1 the process gets no default SIGTERM action, so `docker stop`
# would wait its full timeout without this handler.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
http.server.ThreadingHTTPServer((ADDRESS, PORT), Handler).serve_forever()
