#!/usr/bin/env bash
# Starts Spaceport. With no HEROKU_API_KEY it runs on the embedded simulated
# provider with demo data. Installs the build tools it needs on first use.
# Extra arguments go to `spaceport` (see `spaceport --help`).
#
# With SPACEPORT_SSO_DEMO=1 it also starts the tests' OpenID provider
# (end2end/oidc, oidc-provider on 127.0.0.1:4444) and signs people in
# through it: users sso-admin, sso-operator, sso-viewer (any password).
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
if [ -n "${SPACEPORT_SSO_DEMO:-}" ]; then
  if [ ! -d end2end/oidc/node_modules/oidc-provider ]; then
    (cd end2end/oidc && npm ci --no-audit --no-fund --silent)
  fi
  node end2end/oidc/provider.mjs 4444 >/dev/null 2>&1 &
  idp=$!
  trap 'kill $idp 2>/dev/null' EXIT
  export SPACEPORT_OIDC_ISSUER=http://127.0.0.1:4444
  export SPACEPORT_OIDC_CLIENT_ID=spaceport SPACEPORT_OIDC_CLIENT_SECRET=spaceport-test-secret
  export SPACEPORT_OIDC_NAME="the demo provider"
  export SPACEPORT_OIDC_VIEWER_GROUPS=spaceport-viewers
  export SPACEPORT_OIDC_OPERATOR_GROUPS=spaceport-operators
  export SPACEPORT_OIDC_ADMIN_GROUPS=spaceport-admins
  # The provider's client accepts 127.0.0.1 only (any port): open
  # http://127.0.0.1:3000, not localhost.
  target/release/spaceport "$@"
  exit $?
fi
exec target/release/spaceport "$@"
