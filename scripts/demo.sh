#!/usr/bin/env bash
# The main job, run for real against the local lab: provision a bare staging server,
# build and push the sample app at the current commit, deploy it and print its health.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

sha=${SHIPLINE_SHA:-$(git rev-parse HEAD 2>/dev/null || true)}
if [[ ! "$sha" =~ ^[0-9a-f]{7,40}$ ]]; then
    echo "demo: no commit sha: run it in a git clone, or set SHIPLINE_SHA to 7-40 hex digits" >&2
    exit 2
fi

shipline lab up --name default
export SHIPLINE_LAB_NAME=default
ansible-playbook -i inventories/lab playbooks/provision.yml
ansible-playbook -i inventories/lab playbooks/build.yml -e "shipline_sha=$sha"
ansible-playbook -i inventories/lab playbooks/deploy.yml -e "shipline_sha=$sha"

port=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["servers"][0]["http_port"])' \
    < "${XDG_STATE_HOME:-$HOME/.local/state}/shipline/labs/default/lab.json")
echo "GET http://127.0.0.1:$port/api/health"
python3 - "$port" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/health", timeout=10) as response:
    print(response.status, json.dumps(json.load(response), indent=2))
PY
