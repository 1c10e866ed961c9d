#!/bin/bash
# Container health probe: exit 0 when nginx in this container returns 200 for
# GET /healthz. It uses bash's /dev/tcp because the image has no curl or wget.
set -euo pipefail

exec 3<>/dev/tcp/127.0.0.1/80
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
if ! read -r -t 5 status_line <&3; then
    echo "frontend-probe: no response from nginx on 127.0.0.1:80 within 5 s" >&2
    exit 1
fi
status_line=${status_line%$'\r'}
if [[ $status_line != "HTTP/1."?" 200 "* ]]; then
    echo "frontend-probe: GET /healthz returned '$status_line', expected 200" >&2
    exit 1
fi
