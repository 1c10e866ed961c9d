#!/usr/bin/env python3
"""A health endpoint stub for the health role's scenario.

Serves on 127.0.0.1:PORT: /healthy answers 200 with a healthy body that reports the
version given on the command line, /unhealthy answers 503 with an unhealthy body, in
the shape of the classroom manager's /api/health.
"""

import http.server
import json
import sys

PORT = int(sys.argv[1])
VERSION = sys.argv[2]
ANSWERS = {
    "/healthy": (200, {"success": True, "data": {"status": "healthy", "version": VERSION}}),
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


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
