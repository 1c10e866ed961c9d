#!/usr/bin/env bash
# Run `molecule test` for every scenario under molecule/ (or only those named), one after
# another, and print how long each took. Each scenario starts and removes its own lab
# (molecule-<scenario>), also when it fails; a failed scenario does not stop the others.
# Full output goes to artifacts/molecule/<scenario>.log. Exit status 1 if any failed.
#
#   scripts/molecule-all.sh                  # every scenario
#   scripts/molecule-all.sh bootstrap health # only these
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ -x .venv/bin/molecule ]]; then export PATH="$PWD/.venv/bin:$PATH"; fi

# Bare-server scenarios first; the first scenario that provisions saves the provisioned
# snapshot the later ones start from; the whole path last, because it takes longest.
order=(image_build deploy_report bootstrap compose health image_deploy preflight)
scenarios=("$@")
if ((${#scenarios[@]} == 0)); then
    scenarios=()
    for name in "${order[@]}"; do
        [[ -f "molecule/$name/molecule.yml" ]] && scenarios+=("$name")
    done
    for file in molecule/*/molecule.yml; do
        name=$(basename "$(dirname "$file")")
        [[ " ${order[*]} default " == *" $name "* ]] || scenarios+=("$name")
    done
    [[ -f molecule/default/molecule.yml ]] && scenarios+=(default)
fi

# Copy stdin to the log file $1, each line prefixed with the seconds since the start, and
# write how long each Molecule action took ("create=12s converge=40s ...") to file $2.
timed_log() {
    python3 -u -c '
import re, sys, time
start = began = time.monotonic()
action, durations = None, []
executing = re.compile(r"\u279c (\w+): Executing$")
colour = re.compile(r"\x1b\[[0-9;]*m")
with open(sys.argv[1], "w") as log, open(sys.argv[2], "w") as steps:
    for line in sys.stdin:
        now = time.monotonic()
        log.write(f"[{now - start:7.1f}] {line}")
        match = executing.search(colour.sub("", line).rstrip())
        if match:
            if action:
                durations.append(f"{action}={now - began:.0f}s")
            action, began = match.group(1), now
    if action:
        durations.append(f"{action}={time.monotonic() - began:.0f}s")
    steps.write(" ".join(durations) + "\n")
' "$1" "$2"
}

mkdir -p artifacts/molecule
failed=()
report=("| scenario | result | seconds | seconds per action |" "| --- | --- | --- | --- |")
total_start=$SECONDS
for name in "${scenarios[@]}"; do
    if [[ ! -f "molecule/$name/molecule.yml" ]]; then
        echo "molecule-all: no scenario molecule/$name" >&2
        failed+=("$name")
        continue
    fi
    echo "== molecule test -s $name" >&2
    start=$SECONDS
    molecule test -s "$name" 2>&1 | timed_log "artifacts/molecule/$name.log" "artifacts/molecule/$name.steps"
    status=${PIPESTATUS[0]}
    steps=$(cat "artifacts/molecule/$name.steps")
    if ((status == 0)); then
        result=passed
    else
        result=FAILED
        failed+=("$name")
        tail -n 40 "artifacts/molecule/$name.log" >&2
    fi
    seconds=$((SECONDS - start))
    echo "== $name $result in ${seconds} s (log: artifacts/molecule/$name.log)" >&2
    report+=("| $name | $result | $seconds | $steps |")
done
report+=("| all | $([[ ${#failed[@]} -eq 0 ]] && echo passed || echo FAILED) | $((SECONDS - total_start)) | |")

printf '%s\n' "${report[@]}"
if ((${#failed[@]})); then
    echo "molecule-all: failed: ${failed[*]}" >&2
    exit 1
fi
