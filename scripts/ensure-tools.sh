#!/usr/bin/env bash
# Installs what building and testing Spaceport needs, skipping whatever is
# already present, so a second run costs seconds. Versions are the ones that
# work with rustc 1.95 (see the README's "Toolchain" section):
#   cargo-leptos 0.3.10 (0.3.11 needs rustc 1.96)
#   wasm-bindgen-cli 0.2.130 (must equal the wasm-bindgen crate in Cargo.lock)
#   wasm-opt from the npm package binaryen@132.0.0 (release builds only)
#   Debian's chromium (end-to-end tests; Playwright itself is end2end/'s npm dependency)
#   Debian's sqlite3 (end-to-end tests: one console's history is edited with it)
#   python-hcl2 8.1.4 from PyPI, in a virtualenv in .tools/hcl2 (tests: an HCL
#   parser independent of the one that writes the Terraform export)
#
# Usage: scripts/ensure-tools.sh [build|e2e]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."

want=${1:-build}
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"

log() { printf '[ensure-tools] %s\n' "$*" >&2; }

if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  log "installing cargo-leptos 0.3.10 (about 20 minutes on 2 cores)"
  cargo install cargo-leptos --version 0.3.10 --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q '0\.2\.130'; then
  log "installing wasm-bindgen-cli 0.2.130 (about 5 minutes)"
  # Not --locked: its lockfile names a crate version the index no longer has.
  cargo install wasm-bindgen-cli --version 0.2.130
fi

# wasm-opt lives in a project-local npm folder, ignored by git.
if [ ! -x .tools/node_modules/.bin/wasm-opt ]; then
  log "installing binaryen 132 (wasm-opt) from npm into .tools/"
  mkdir -p .tools
  [ -f .tools/package.json ] || echo '{"private":true}' > .tools/package.json
  (cd .tools && npm install --no-audit --no-fund --silent binaryen@132.0.0)
fi

if [ "$want" = e2e ] && [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

if [ "$want" = e2e ] && ! command -v sqlite3 >/dev/null; then
  log "installing Debian's sqlite3"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq sqlite3 >/dev/null
fi
if [ "$want" = e2e ] && ! .tools/hcl2/bin/python -c 'import hcl2' 2>/dev/null; then
  log "installing python-hcl2 8.1.4 into .tools/hcl2"
  rm -rf .tools/hcl2
  python3 -m venv .tools/hcl2
  .tools/hcl2/bin/pip install --quiet --disable-pip-version-check python-hcl2==8.1.4
fi
log "tools ready"
