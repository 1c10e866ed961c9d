#!/usr/bin/env bash
# Run `molecule test` for every scenario under molecule/ (or only those named) and print
# how long each took. Each scenario starts and removes its own lab (molecule-<scenario>),
# also when it fails, and a failed scenario does not stop the others. Full output goes to
# artifacts/molecule/<scenario>.log. Exit status 1 if any failed.
#
#   scripts/molecule-all.sh                  # every scenario, two at a time
#   scripts/molecule-all.sh bootstrap health # only these
#   MOLECULE_JOBS=1 scripts/molecule-all.sh  # one after another
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ -x .venv/bin/molecule ]]; then export PATH="$PWD/.venv/bin:$PATH"; fi
jobs_max=${MOLECULE_JOBS:-2}
if ! [[ "$jobs_max" =~ ^[1-9][0-9]*$ ]]; then
    echo "molecule-all: MOLECULE_JOBS must be a whole number of at least 1, got '$jobs_max'" >&2
    exit 2
fi

# Scenarios on a bare server or none come first. The first scenario that needs a
# provisioned server saves the snapshot that the later ones start from. The whole path
# comes last, because it takes longest.
order=(image_build deploy_report bootstrap compose health image_deploy preflight)
scenarios=("$@")
if ((${#scenarios[@]} == 0)); then
    for name in "${order[@]}"; do
        [[ -f "molecule/$name/molecule.yml" ]] && scenarios+=("$name")
    done
    for file in molecule/*/molecule.yml; do
        name=$(basename "$(dirname "$file")")
        [[ " ${order[*]} default " == *" $name "* ]] || scenarios+=("$name")
    done
    [[ -f molecule/default/molecule.yml ]] && scenarios+=(default)
fi
for name in "${scenarios[@]}"; do
    if [[ ! -f "molecule/$name/molecule.yml" ]]; then
        known=$(for file in molecule/*/molecule.yml; do basename "$(dirname "$file")"; done | tr '\n' ' ')
        echo "molecule-all: no scenario molecule/$name; the scenarios are: $known" >&2
        exit 2
    fi
done

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

# Run one scenario and write "<result> <seconds> <steps>" to artifacts/molecule/<name>.result.
run_scenario() {
    local name=$1 start=$SECONDS status result
    echo "== molecule test -s $name" >&2
    molecule test -s "$name" 2>&1 | timed_log "artifacts/molecule/$name.log" "artifacts/molecule/$name.steps"
    status=${PIPESTATUS[0]}
    if ((status == 0)); then
        result=passed
    else
        result=FAILED
        tail -n 40 "artifacts/molecule/$name.log" >&2
    fi
    echo "== $name $result in $((SECONDS - start)) s (log: artifacts/molecule/$name.log)" >&2
    echo "$result $((SECONDS - start)) $(cat "artifacts/molecule/$name.steps")" >"artifacts/molecule/$name.result"
}

# Run the named scenarios, at most $jobs_max at a time, and wait for all of them.
run_wave() {
    local name
    for name in "$@"; do
        while (($(jobs -rp | wc -l) >= jobs_max)); do wait -n; done
        run_scenario "$name" &
    done
    wait
}

mkdir -p artifacts/molecule
rm -f artifacts/molecule/*.result
# Scenarios that run side by side must find the keyring made, not make it at once.
python3 molecule/shared/lab_instance.py keyring >/dev/null || exit 1

# Side by side, a scenario that needs the provisioned snapshot waits until the first one
# that needs it has saved it, so that only one of them provisions a bare server.
first_wave=()
later_wave=()
snapshot_saver=""
for name in "${scenarios[@]}"; do
    if grep -q "molecule_lab_server: provisioned" "molecule/$name/create.yml"; then
        if ((jobs_max > 1)) && [[ -n "$snapshot_saver" ]]; then
            later_wave+=("$name")
            continue
        fi
        snapshot_saver=$name
    fi
    first_wave+=("$name")
done

total_start=$SECONDS
run_wave "${first_wave[@]}"
((${#later_wave[@]})) && run_wave "${later_wave[@]}"

failed=()
report=("| scenario | result | seconds | seconds per action |" "| --- | --- | --- | --- |")
for name in "${scenarios[@]}"; do
    read -r result seconds steps <"artifacts/molecule/$name.result" || result=FAILED
    [[ "$result" == passed ]] || failed+=("$name")
    report+=("| $name | $result | ${seconds:-} | ${steps:-} |")
done
report+=("| all ($jobs_max at a time) | $([[ ${#failed[@]} -eq 0 ]] && echo passed || echo FAILED) | $((SECONDS - total_start)) | |")

printf '%s\n' "${report[@]}"
if ((${#failed[@]})); then
    echo "molecule-all: failed: ${failed[*]}" >&2
    exit 1
fi
