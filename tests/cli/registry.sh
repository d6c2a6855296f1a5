#!/usr/bin/env bash
# CLI tests for the registry commands: init, save, list, show, log, diff, label, rollback, push,
# pull and `render REF`. Each case checks the exit code, stdout and stderr, and the repository
# is cross-checked with plain git. Usage: registry.sh /path/to/rosetta
set -u
ROSETTA=$(realpath "${1:?usage: registry.sh ROSETTA}")
T=$(mktemp -d /tmp/rs_cli_registry.XXXXXX)
trap 'rm -rf "$T"' EXIT
export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.com GIT_CONFIG_NOSYSTEM=1
unset ROSETTA_REGISTRY
fails=0 cases=0

# run EXPECTED_RC CMD... : runs, stores stdout in $T/out and stderr in $T/err
run() {
    local want=$1; shift
    cases=$((cases + 1))
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: '$*' exited $got, expected $want"
        sed 's/^/  stdout: /' "$T/out" | head -20
        sed 's/^/  stderr: /' "$T/err" | head -20
        fails=$((fails + 1))
        return 1
    fi
    return 0
}
# has FILE TEXT: FILE (out|err) contains TEXT
has() {
    cases=$((cases + 1))
    if ! grep -qF -- "$2" "$T/$1"; then
        echo "FAIL: $1 lacks '$2'"
        sed "s/^/  $1: /" "$T/$1" | head -20
        fails=$((fails + 1))
    fi
}
same() { # same A B: two strings equal
    cases=$((cases + 1))
    if [ "$1" != "$2" ]; then
        echo "FAIL: '$1' != '$2' ($3)"
        fails=$((fails + 1))
    fi
}
json_ok() { # the stdout is valid JSON
    cases=$((cases + 1))
    if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" 2>/dev/null; then
        echo "FAIL: not JSON: $(head -c 200 "$T/out")"
        fails=$((fails + 1))
    fi
}
jq_py() { python3 -c "import json,sys; d=json.load(open('$T/out')); print($1)"; }

R="$T/reg"
cd "$T"

# ---- help for every command ----
run 0 "$ROSETTA" --help && cp "$T/out" "$T/help"
for v in init save list show log diff label rollback push pull; do
    cases=$((cases + 1))
    grep -q "^  $v " "$T/help" || { echo "FAIL: rosetta --help lacks $v"; fails=$((fails + 1)); }
    run 0 "$ROSETTA" $v --help && has out "usage: rosetta $v"
done
run 2 "$ROSETTA" list --bogus && has err "'--bogus'"

# ---- init ----
run 0 "$ROSETTA" init "$R" && has out "created a rosetta registry in $R/"
same "$(git -C "$R" rev-list --count HEAD)" 1 "one first commit"
same "$(git -C "$R" status --porcelain)" "" "clean after init"
run 5 "$ROSETTA" init "$R" && has err "already a rosetta registry"
mkdir -p "$T/busy" && echo x >"$T/busy/f"
run 5 "$ROSETTA" init "$T/busy" && has err "not empty"
run 0 "$ROSETTA" init --force "$T/busy"
run 4 "$ROSETTA" list -C / && has err "not a rosetta registry"

cd "$R"
# ---- save ----
mkdir -p prompts/support
printf -- '---\nmodel: openai/gpt-4o\n---\nHello {{name}}! {{> sig}}\n' >prompts/greet.prompt
printf 'Regards, {{team}}\n' >prompts/_sig.prompt
printf 'Triage: {{ticket}}\n' >prompts/support/triage.prompt
run 2 "$ROSETTA" save && has err "-m MESSAGE"
run 0 "$ROSETTA" save -m "first" && has out "greet v1 $(git rev-parse --short=7 HEAD)"
has out "support/triage v1"
printf -- '---\nmodel: openai/gpt-4o\n---\nHi {{name}}! {{> sig}}\n' >prompts/greet.prompt
printf -- '---\nrosetta.targets: ["anthropic/claude-*"]\n---\nClaude, greet {{name}}\n' \
    >prompts/greet.claude.prompt
run 0 "$ROSETTA" save prompts/greet.prompt prompts/greet.claude.prompt -m "second" --json
json_ok
same "$(jq_py "d['prompts'][0]['version']")" 2 "save --json version"
same "$(jq_py "d['commit']")" "$(git rev-parse HEAD)" "save --json commit"
run 0 "$ROSETTA" save -m "nothing" && has err "nothing to save"
head_before=$(git rev-parse HEAD)
printf 'broken {{#if x}}\nnever closed\n' >prompts/bad.prompt
run 3 "$ROSETTA" save -m "broken" && has err "rosetta: prompts/bad.prompt:"
same "$(git rev-parse HEAD)" "$head_before" "a refused save commits nothing"
rm prompts/bad.prompt
printf '{{> nosuch}}\n' >prompts/bad.prompt
run 4 "$ROSETTA" save -m "broken" && has err "prompts/bad.prompt:1:1: partial 'nosuch'"
rm prompts/bad.prompt
run 3 "$ROSETTA" save ../outside -m x
# plain git commits count as versions
printf -- '---\nmodel: openai/gpt-4o\n---\nHey {{name}}! {{> sig}}\n' >prompts/greet.prompt
git commit -qam "by git"

# ---- list / show / log ----
run 0 "$ROSETTA" list && has out "greet" && has out "v3" && has out "claude" && has out "sig"
run 0 "$ROSETTA" list --json && json_ok
same "$(jq_py "[p['name'] for p in d]")" "['greet', 'support/triage']" "list names"
run 0 "$ROSETTA" show greet@v2 --raw
same "$(cat "$T/out")" "$(git show "$(git log --format=%H -1 --grep=second)":prompts/greet.prompt)" \
    "show --raw = git show"
run 0 "$ROSETTA" show greet --target anthropic/claude-3-5-haiku
has out "prompts/greet.claude.prompt: its rosetta.targets glob 'anthropic/claude-*'"
has out "Claude, greet"
run 0 "$ROSETTA" show greet --json && json_ok
same "$(jq_py "d['version']")" 3 "show --json version"
run 4 "$ROSETTA" show gret && has err "did you mean 'greet'"
run 4 "$ROSETTA" show greet@v9 && has err "v1..v3"
run 3 "$ROSETTA" show '../etc/passwd' && has err "not allowed"
run 0 "$ROSETTA" log greet && has out "v3" && has out "by git" && has out "v1"
run 0 "$ROSETTA" log greet --json && json_ok
same "$(jq_py "len(d)")" \
    "$(git log --first-parent --format=%H -- prompts/greet.prompt 'prompts/greet.*.prompt' | wc -l)" \
    "log count = git log count"
run 4 "$ROSETTA" log nosuch

# ---- diff ----
run 0 "$ROSETTA" diff greet@v1 v2 && has out "-Hello {{name}}! {{> sig}}" && has out "+Hi {{name}}!"
has out "greet.claude.prompt"
echo "changed" >>prompts/_sig.prompt
run 1 "$ROSETTA" diff greet --exit-code && has out "+changed"
git checkout -q prompts/_sig.prompt
run 0 "$ROSETTA" diff greet --exit-code
same "$(cat "$T/out")" "" "no diff against a clean tree"

# ---- labels ----
run 0 "$ROSETTA" label greet@v1 production && has out "greet production -> v1"
run 0 "$ROSETTA" label greet@v2 production --json && json_ok
same "$(jq_py "d['version']")" 2 "label --json version"
run 0 "$ROSETTA" label greet@production staging && has out "staging -> v2"
run 0 "$ROSETTA" label greet && has out "production" && has out "staging"
run 0 "$ROSETTA" label greet --json && json_ok
run 0 "$ROSETTA" label log greet && has out "production"
run 0 "$ROSETTA" label log greet --json && json_ok
same "$(jq_py "len(d)")" 3 "three label moves"
same "$(git log --format=%s -- labels.yaml | grep -c '^label: greet ')" 3 "label commits in git"
run 0 "$ROSETTA" rollback greet production && has out "rolled back to v1"
run 0 "$ROSETTA" show greet@production --raw && has out "Hello {{name}}"
run 4 "$ROSETTA" rollback greet staging && has err "no previous target"
run 0 "$ROSETTA" label greet staging --delete && has out "staging deleted"
run 4 "$ROSETTA" show greet@staging && has err "not a version, label or revision"
run 4 "$ROSETTA" label greet staging --delete
run 3 "$ROSETTA" label greet v7 && has err "vN names a version"
echo "# edited" >>labels.yaml
head_before=$(git rev-parse HEAD)
run 5 "$ROSETTA" label greet canary && has err "labels.yaml has uncommitted changes"
same "$(git rev-parse HEAD)" "$head_before" "refused label move commits nothing"
git checkout -q labels.yaml
same "$(git status --porcelain)" "" "clean tree after label moves"

# ---- render REF ----
run 0 "$ROSETTA" render greet@production --var name=Ann --var team=Ops --explain
has out '"text": "Hello Ann! Regards, Ops\n"'
has err "commit:  $(git log --format=%H -1 --grep=first)"
has err "greet@v1 (label production)"
has err "prompts/greet.prompt: the base"
echo '{"input": {"name": "Zoe", "team": "QA"}}' >"$T/data.json"
run 0 "$ROSETTA" render greet --data "$T/data.json" --compact
ref_out=$(cat "$T/out")
run 0 "$ROSETTA" render --source prompts/greet.prompt --partials prompts --data "$T/data.json" \
    --compact
same "$ref_out" "$(cat "$T/out")" "render REF = render --source for the same file"
run 0 "$ROSETTA" render greet --target anthropic/claude-3-5-haiku --var name=Al --explain
has err "greet.claude.prompt"
has out "Claude, greet Al"
run 4 "$ROSETTA" render greet --variant nope && has err "no variant 'nope'"
run 2 "$ROSETTA" render greet --variant claude --target openai/x

# ---- from anywhere: -C and ROSETTA_REGISTRY; a bare mirror ----
cd "$T"
run 0 "$ROSETTA" list -C "$R/prompts/support"
ROSETTA_REGISTRY="$R" run 0 "$ROSETTA" show greet --raw
git clone -q --bare "$R" "$T/mirror.git"
run 0 "$ROSETTA" render greet@production -C "$T/mirror.git" --var name=B --compact
has out "Hello B!"
run 3 "$ROSETTA" label greet x -C "$T/mirror.git" && has err "bare repository"

# ---- push / pull ----
git init -q --bare -b main "$T/remote.git"
run 0 "$ROSETTA" push "$T/remote.git" -C "$R" && has out "pushed refs/heads/main"
same "$(git -C "$T/remote.git" rev-parse main)" "$(git -C "$R" rev-parse HEAD)" "push reached"
git -C "$R" remote add origin "$T/remote.git"
git clone -q "$T/remote.git" "$T/clone"
printf 'Triage v2: {{ticket}}\n' >"$T/clone/prompts/support/triage.prompt"
run 0 "$ROSETTA" save -C "$T/clone" -m "from clone" && has out "support/triage v2"
run 0 "$ROSETTA" push -C "$T/clone" --json && json_ok
run 0 "$ROSETTA" pull -C "$R" && has out "fast-forwarded"
same "$(cat "$R/prompts/support/triage.prompt")" "Triage v2: {{ticket}}" "pull updated the tree"
same "$(git -C "$R" status --porcelain)" "" "clean after pull"
run 0 "$ROSETTA" pull -C "$R" --json && json_ok
same "$(jq_py "d['updated']")" False "up to date"
printf 'Triage v3 clone\n' >"$T/clone/prompts/support/triage.prompt"
run 0 "$ROSETTA" save -C "$T/clone" -m "clone 3"
run 0 "$ROSETTA" push -C "$T/clone"
printf 'my uncommitted edit\n' >"$R/prompts/support/triage.prompt"
head_before=$(git -C "$R" rev-parse HEAD)
run 5 "$ROSETTA" pull -C "$R" && has err "would overwrite uncommitted changes" &&
    has err "prompts/support/triage.prompt"
same "$(git -C "$R" rev-parse HEAD)" "$head_before" "a refused pull moves nothing"
same "$(cat "$R/prompts/support/triage.prompt")" "my uncommitted edit" "the edit is kept"
printf 'Triage v3 local\n' >"$R/prompts/support/triage.prompt"
run 0 "$ROSETTA" save -C "$R" -m "local 3"
head_before=$(git -C "$R" rev-parse HEAD)
run 5 "$ROSETTA" pull -C "$R" && has err "diverged"
same "$(git -C "$R" rev-parse HEAD)" "$head_before" "divergence changes nothing"
run 5 "$ROSETTA" push -C "$R" && has err "$T/remote.git"
run 4 "$ROSETTA" push nosuch -C "$R" && has err "no remote 'nosuch'" && has err "remotes: origin"

# ---- faults ----
git -C "$R" checkout -q --detach
run 0 "$ROSETTA" show greet -C "$R" --raw
run 5 "$ROSETTA" label greet x -C "$R" && has err "detached"
git -C "$R" checkout -q main
touch "$R/.git/index.lock"
echo "more" >>"$R/prompts/greet.prompt"
run 5 "$ROSETTA" save -C "$R" -m x && has err "index.lock"
rm "$R/.git/index.lock"
git -C "$R" checkout -q prompts/greet.prompt
git init -q "$T/empty" && echo "version: 1" >"$T/empty/rosetta.yaml"
run 4 "$ROSETTA" list -C "$T/empty" && has err "no commits yet"
run 4 "$ROSETTA" render greet -C "$T/empty" && has err "no commits yet"

# ---- deleting a prompt is a save too; the index follows ----
printf 'temporary\n' >"$R/prompts/tmp.prompt"
run 0 "$ROSETTA" save -C "$R" prompts/tmp.prompt -m "add tmp" && has out "tmp v1"
rm "$R/prompts/tmp.prompt"
run 0 "$ROSETTA" save -C "$R" -m "drop tmp" && has out "tmp v2" && has out "(deleted)"
same "$(git -C "$R" status --porcelain)" "" "clean after saving a deletion"
run 4 "$ROSETTA" show tmp -C "$R"
run 0 "$ROSETTA" show tmp@v1 -C "$R" --raw && has out "temporary"

# ---- plain git agrees the repositories are sound ----
for repo in "$R" "$T/clone" "$T/remote.git"; do
    cases=$((cases + 1))
    if ! git -C "$repo" fsck --strict >/dev/null 2>"$T/err"; then
        echo "FAIL: git fsck $repo"; cat "$T/err"; fails=$((fails + 1))
    fi
done

echo "registry CLI: $cases checks, $fails failed"
[ "$fails" = 0 ]
