#!/usr/bin/env bash
# The example program links through pkg-config: install the build into a temporary prefix, build
# examples/render_production with PKG_CONFIG_PATH, make a registry from examples/prompts with two
# saved versions, label one production, and check the example renders exactly that version.
#   registry_example.sh SOURCE_DIR BINARY_DIR ROSETTA [EXTRA_CFLAGS]
set -eu
src=$1 bin=$2 rosetta=$(realpath "$3") extra=${4:-}
T=$(mktemp -d /tmp/rs_example.XXXXXX)
trap 'rm -rf "$T"' EXIT
export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.com GIT_CONFIG_NOSYSTEM=1
unset ROSETTA_REGISTRY

cmake --install "$bin" --prefix "$T/prefix" >/dev/null
pc_dir=$(dirname "$(find "$T/prefix" -name rosetta.pc | head -1)")
cp "$src/examples/render_production.c" "$src/examples/Makefile" "$T/"
# rosetta.pc locates the prefix from its own folder: no --define-variable needed
PKG_CONFIG_PATH="$pc_dir" make -s -C "$T" CFLAGS="-O2 -Wall -Wextra -Werror $extra" \
    >/dev/null

"$rosetta" init "$T/reg" >/dev/null
cp "$src"/examples/prompts/*.prompt "$T/reg/prompts/"
"$rosetta" save -C "$T/reg" -m "triage: first version" >/dev/null
sed -i 's/You triage support tickets./You triage support tickets, politely./' \
    "$T/reg/prompts/triage.prompt"
"$rosetta" save -C "$T/reg" -m "triage: politer" >/dev/null
"$rosetta" label -C "$T/reg" triage@v1 production >/dev/null

libdir=$(dirname "$(find "$T/prefix" -name 'librosetta.so*' | head -1)")
LD_LIBRARY_PATH="$libdir" "$T/render_production" "$T/reg" triage >"$T/out" 2>"$T/err"
grep -q '"text": "You triage support tickets. Never promise refunds' "$T/out" ||
    { echo "FAIL: the example did not render v1:"; cat "$T/out" "$T/err"; exit 1; }
grep -q 'triage@v1 (label production)' "$T/err" || { echo "FAIL: explain"; cat "$T/err"; exit 1; }
# the same through the command, and the variant for an Anthropic target
"$rosetta" render triage@production -C "$T/reg" --var 'ticket=My invoice is wrong' >"$T/cli"
LD_LIBRARY_PATH="$libdir" "$T/render_production" "$T/reg" triage \
    '{"input": {"ticket": "My invoice is wrong"}}' >"$T/lib" 2>/dev/null
cmp -s "$T/cli" "$T/lib" || { echo "FAIL: the example and rosetta render differ"; diff "$T/cli" "$T/lib"; exit 1; }
LD_LIBRARY_PATH="$libdir" "$T/render_production" "$T/reg" triage \
    '{"input": {"ticket": "t", "tier": "pro"}}' anthropic/claude-3-5-haiku >"$T/out" 2>"$T/err"
grep -q 'careful support triager' "$T/out" && grep -q 'triage.anthropic.prompt' "$T/err" ||
    { echo "FAIL: variant for anthropic"; cat "$T/out" "$T/err"; exit 1; }
echo "example: built with pkg-config against $T/prefix, rendered triage@production (v1)"
