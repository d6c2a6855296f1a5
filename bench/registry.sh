#!/usr/bin/env bash
# bench/registry: a registry of 1,000 prompts and 10,000 commits (built with git fast-import),
# then, as whole processes, `rosetta render NAME@production` against `git show COMMIT:prompts/
# NAME.prompt` (the floor for reading one version), and the warm in-library resolve+render.
# Targets: the command within 3x of git show; in-library under 50 us.
#   bench/registry.sh [RUNS]     (default 200 process runs per side)
# RS_BENCH_REGISTRY=DIR keeps the generated registry in DIR (and reuses it when it exists).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-200}"
build="${RS_BENCH_BUILD:-$root/build-bench}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRS_SANITIZE=OFF -DRS_TESTS=OFF \
  -DRS_WERROR=OFF -DRS_BENCH=ON >/dev/null
cmake --build "$build" --target rosetta bench_registry -j2 >/dev/null
rosetta="$build/cli/rosetta"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
reg="${RS_BENCH_REGISTRY:-$tmp/reg}"
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com GIT_CONFIG_NOSYSTEM=1
unset ROSETTA_REGISTRY

t0=$(date +%s.%N)
if [ ! -d "$reg/.git" ]; then
git init -q -b main "$reg"
# 10,000 commits: the first adds the registry files, each later one changes one of the 1,000
# prompts (round robin), so every prompt has 10 versions.
python3 - "$tmp/stream" <<'PY'
import sys
out = open(sys.argv[1], "w")
def blob(data):
    b = data.encode()
    out.write("data %d\n" % len(b))
    out.write(data)
    out.write("\n")
t = 1700000000
out.write("commit refs/heads/main\nmark :1\ncommitter Bench <bench@example.com> %d +0000\n" % t)
msg = "registry\n"
out.write("data %d\n%s" % (len(msg), msg))
files = {"rosetta.yaml": "version: 1\n", "labels.yaml": "{}\n", ".gitignore": ".rosetta/\n",
         "prompts/_policy.prompt": "Follow the support policy.\n"}
for path, data in files.items():
    out.write("M 100644 inline %s\n" % path); blob(data)
def prompt(i, v):
    return ("---\nmodel: openai/gpt-4o-mini\nconfig: {temperature: 0.2}\ninput:\n"
            "  schema: {ticket: string}\n---\n{{role \"system\"}}You triage tickets for team %d "
            "(revision %d). {{> policy}}\n{{role \"user\"}}{{ticket}}\n" % (i, v))
for n in range(2, 10001):
    i = (n - 2) % 1000
    v = (n - 2) // 1000 + 1
    out.write("commit refs/heads/main\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\n"
              % (n, t + n))
    msg = "p%04d v%d\n" % (i, v)
    out.write("data %d\n%sfrom :%d\n" % (len(msg), msg, n - 1))
    out.write("M 100644 inline prompts/p%04d.prompt\n" % i); blob(prompt(i, v))
out.close()
PY
git -C "$reg" fast-import --quiet --export-marks="$tmp/marks" <"$tmp/stream"
git -C "$reg" checkout -q -f main
# production = version 5 of every prompt (commit mark 2 + 4000 + i), staging = version 9
python3 - "$tmp/marks" "$reg/labels.yaml" <<'PY'
import sys
marks = dict(l.split() for l in open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for i in range(1000):
        f.write("p%04d:\n  production: \"%s\"\n  staging: \"%s\"\n"
                % (i, marks[":%d" % (2 + 4000 + i)], marks[":%d" % (2 + 8000 + i)]))
PY
git -C "$reg" add labels.yaml
git -C "$reg" commit -qm "labels"
fi
t1=$(date +%s.%N)
echo "built: $(git -C "$reg" rev-list --count HEAD) commits, $(ls "$reg/prompts" | grep -c '^p') prompts" \
     "in $(echo "$t1 - $t0" | bc | xargs printf '%.1f') s"

name=p0500
commit=$(git -C "$reg" show HEAD:labels.yaml | awk "/^$name:/{getline; print \$2}" | tr -d '"')
"$rosetta" render "$name@production" -C "$reg" --var ticket=hi --compact >"$tmp/ours.json"
git -C "$reg" show "$commit:prompts/$name.prompt" >"$tmp/git.txt"
grep -q "revision 5" "$tmp/ours.json" || { echo "wrong version rendered"; exit 1; }

per_run() { # per_run COMMAND...: mean milliseconds per run over $runs runs
    local s e
    s=$(date +%s%N)
    for _ in $(seq "$runs"); do "$@" >/dev/null; done
    e=$(date +%s%N)
    echo "scale=3; ($e - $s) / $runs / 1000000" | bc
}
cd "$reg"
per_run git show "$commit:prompts/$name.prompt" >/dev/null   # warm the page cache
g=$(per_run git show "$commit:prompts/$name.prompt")
r=$(per_run "$rosetta" render "$name@production" --var ticket=hi --compact)
v=$(per_run "$rosetta" --version)             # loading the binary and its libraries only
h=$(per_run "$rosetta" list --help)           # + rs_global_init (libgit2, libcurl)
printf 'whole process, mean of %s runs:\n' "$runs"
printf '  git show %s:prompts/%s.prompt      %8.2f ms\n' "${commit:0:7}" "$name" "$g"
printf '  rosetta render %s@production --var ...   %8.2f ms   (%.2fx git show; target <= 3x)\n' \
    "$name" "$r" "$(echo "scale=4; $r / $g" | bc)"
printf '  start-up floors: rosetta --version %.2f ms, rosetta list --help (after global init) %.2f ms\n' \
    "$v" "$h"
"$build/bench/bench_registry" "$reg" "$name@production" '{"input": {"ticket": "hi"}}'
