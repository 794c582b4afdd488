#!/usr/bin/env bash
# Starts Spaceport. With no HEROKU_API_KEY it runs on the embedded simulated
# provider with demo data. Installs the build tools it needs on first use.
# Extra arguments go to `spaceport` (see `spaceport --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh build
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
# --precompress leaves a brotli and a gzip copy of each site file, which the
# console sends as they are.
cargo leptos build --release --precompress
# cargo-leptos writes its gzip copies at a middling level; at -9 the wasm's
# is 14% smaller (BENCHMARKS.md), for browsers that do not ask for brotli.
for gz in target/site/pkg/*.gz; do gzip -9 -n -c "${gz%.gz}" >"$gz"; done
export LEPTOS_SITE_ROOT=target/site
exec target/release/spaceport "$@"
