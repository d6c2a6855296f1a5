#!/usr/bin/env bash
# Install the Debian 12 packages Rosetta builds and tests with (as root; uses sudo otherwise).
# Skips apt entirely when everything is already there.
#   scripts/install-deps.sh          what building and the main job need
#   scripts/install-deps.sh --test   also what the test suite needs (Chromium for the HTML report check)
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev git curl ca-certificates
      libyaml-dev libcjson-dev libgit2-dev libcurl4-openssl-dev libsqlite3-dev sqlite3 libcmocka-dev
      python3)
[ "${1:-}" = --test ] && pkgs+=(chromium)
missing=()
# Node.js (for the reference renderer and Prism) may come from another packaging that bundles npm;
# only ask Debian for it when there is none.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
