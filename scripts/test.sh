#!/usr/bin/env bash
# Runs every test: formatting and lints, unit and integration tests, and the
# end-to-end tests in Debian's Chromium against the built console. Installs
# what it needs on first use and skips what is already there. The console is
# built once, by cargo-leptos, and that build is what the browser tests drive.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh e2e
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
# Incremental compilation data for this workspace runs to tens of GB across
# the builds below and buys nothing on a clean clone, where CI runs.
export CARGO_INCREMENTAL=0

step() { printf '\n==> %s\n' "$*"; }

step "formatting"
cargo fmt --all -- --check

step "build (server and hydrated wasm)"
cargo leptos build
# The browser tests drive exactly this build, kept aside so that later
# cargo commands (which may relink target/debug/spaceport) cannot swap it.
# The page names the site's hashed files from the hash.txt beside the binary.
mkdir -p target/e2e
cp target/debug/spaceport target/debug/hash.txt target/e2e/

step "lints, both feature sets"
cargo clippy --all-targets -p domain -- -D warnings
cargo clippy --all-targets -p server -- -D warnings
cargo clippy --all-targets -p app --features ssr -- -D warnings
cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests"
# The tests' OpenID provider (oidc-provider, run by the tests on loopback
# ports and stopped after each).
if [ ! -d end2end/oidc/node_modules/oidc-provider ]; then
  (cd end2end/oidc && npm ci --no-audit --no-fund)
fi
# A PostgreSQL server of the tests' own, on a loopback port, stopped
# whatever happens: the store tests run on it as well as on SQLite.
PG_DIR=$(mktemp -d)
trap 'bash scripts/postgres.sh stop "$PG_DIR"' EXIT
SPACEPORT_TEST_POSTGRES=$(bash scripts/postgres.sh start "$PG_DIR")
export SPACEPORT_TEST_POSTGRES
cargo test -p domain
cargo test -p app --features ssr
cargo test -p server --lib --bins
# One test at a time: each runs a whole console (or several) on its own
# runtime, and pages rendered on several runtimes at once have hung a
# debug run now and then inside Leptos' server rendering (see tests/all.rs).
cargo test -p server --test all -- --test-threads=1

step "end-to-end tests in Chromium"
# The two consoles most tests use run on PostgreSQL (the others on SQLite
# files, one of them edited with sqlite3), with a key of this run.
SPACEPORT_E2E_DB=$(bash scripts/postgres.sh createdb "$PG_DIR" e2e_main)
SPACEPORT_E2E_FOUR_EYES_DB=$(bash scripts/postgres.sh createdb "$PG_DIR" e2e_four_eyes)
SPACEPORT_E2E_KEY="$PG_DIR/e2e-audit-key"
SPACEPORT_E2E_PG_DUMP="$(bash scripts/postgres.sh bin)/pg_dump"
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SPACEPORT_E2E_KEY")
export SPACEPORT_E2E_DB SPACEPORT_E2E_FOUR_EYES_DB SPACEPORT_E2E_KEY SPACEPORT_E2E_PG_DUMP
(
  cd end2end
  if [ ! -d node_modules/@playwright/test ]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
  SPACEPORT_BIN=target/e2e/spaceport npx playwright test
)
