#!/usr/bin/env bash
# Concurrency: PROCS processes (default 8) each do ITERS (default 50) saves and ITERS label moves
# at once on one registry. Every update must land (no lost commit, no lost label move), the work
# tree must end clean, and `git fsck` must find nothing. Usage: registry_concurrency.sh ROSETTA
set -u
ROSETTA=$(realpath "${1:?usage: registry_concurrency.sh ROSETTA [PROCS] [ITERS]}")
PROCS=${2:-8}
ITERS=${3:-50}
T=$(mktemp -d /tmp/rs_concurrency.XXXXXX)
trap 'rm -rf "$T"' EXIT
export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.com GIT_CONFIG_NOSYSTEM=1
unset ROSETTA_REGISTRY
R="$T/reg"
fail() { echo "FAIL: $*"; exit 1; }

"$ROSETTA" init "$R" >/dev/null || fail "init"
cd "$R"
for i in $(seq 0 $((PROCS - 1))); do printf 'p%s start\n' "$i" >"prompts/p$i.prompt"; done
"$ROSETTA" save -m "start" >/dev/null || fail "first save"

worker() {
    local i=$1 j
    for j in $(seq 0 $((ITERS - 1))); do
        printf 'p%s iteration %s\n' "$i" "$j" >"prompts/p$i.prompt"
        "$ROSETTA" save "prompts/p$i.prompt" -m "p$i save $j" >/dev/null 2>"$T/err.$i" ||
            { echo "worker $i save $j: $(cat "$T/err.$i")"; return 1; }
        "$ROSETTA" label "p$i" production >/dev/null 2>"$T/err.$i" ||
            { echo "worker $i label $j: $(cat "$T/err.$i")"; return 1; }
    done
}

start=$(date +%s.%N)
pids=()
for i in $(seq 0 $((PROCS - 1))); do
    worker "$i" &
    pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=1; done
secs=$(echo "$(date +%s.%N) - $start" | bc)
[ "$bad" = 0 ] || fail "a worker failed"

want=$((2 + 2 * PROCS * ITERS))
got=$(git rev-list --count HEAD)
[ "$got" = "$want" ] || fail "$got commits, expected $want"
for i in $(seq 0 $((PROCS - 1))); do
    n=$(git log --format=%s | grep -c "^p$i save ")
    [ "$n" = "$ITERS" ] || fail "p$i: $n saves in the history, expected $ITERS"
    n=$(git log --format=%s -- labels.yaml | grep -c "^label: p$i production")
    [ "$n" = "$ITERS" ] || fail "p$i: $n label moves in the history, expected $ITERS"
    v=$("$ROSETTA" log "p$i" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    [ "$v" = "$((ITERS + 1))" ] || fail "p$i has $v versions, expected $((ITERS + 1))"
    "$ROSETTA" show "p$i@production" --raw >"$T/shown" || fail "show p$i@production"
    [ "$(cat "$T/shown")" = "p$i iteration $((ITERS - 1))" ] || fail "p$i@production is $(cat "$T/shown")"
done
[ -z "$(git status --porcelain)" ] || fail "work tree not clean: $(git status --porcelain | head)"
git fsck --strict >/dev/null 2>"$T/fsck" || fail "git fsck: $(cat "$T/fsck")"
echo "concurrency: $PROCS processes x $ITERS saves + $ITERS label moves: $got commits, none lost, fsck clean, ${secs}s"
