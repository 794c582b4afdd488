#!/usr/bin/env bash
# Starts a console for the browser tests: first its users, made with
# `spaceport user add` the way a deployment script would (one per role,
# password `e2e-password-<role>` on standard input), then its approval
# policy if SPACEPORT_E2E_POLICY says one, then, if SPACEPORT_E2E_TAMPER is
# set, a record of the history edited in place behind the console's back
# (with sqlite3, the way an attacker with the file would), then the console
# itself, its whole output kept in a log file the token-secrecy test reads.
# With SPACEPORT_E2E_SECOND_ADMIN, a second admin `e2e-admin2` too.
#
#   start-console.sh BIN DATABASE LOG [console flags...]
set -euo pipefail
bin=$1 db=$2 log=$3
shift 3
# A console on PostgreSQL is given its audit key (there is no file beside
# a database server to keep one in).
key=()
case "$db" in
  postgres://*) key=(--audit-key-file "$SPACEPORT_E2E_KEY") ;;
esac
mkdir -p "$(dirname "$log")"
for role in viewer operator admin; do
  printf '%s\n' "e2e-password-$role" | "$bin" user add "e2e-$role" --role "$role" --database "$db" "${key[@]}" >/dev/null
done
# A second admin, independent of the first, where four eyes need one to
# approve what the first asks (SPACEPORT_E2E_SECOND_ADMIN).
if [ -n "${SPACEPORT_E2E_SECOND_ADMIN:-}" ]; then
  printf '%s\n' "e2e-password-admin2" | "$bin" user add e2e-admin2 --role admin --database "$db" "${key[@]}" >/dev/null
fi
# A policy to start with, when given (`KIND=N ...`): the console the
# single-click tests use lets accepts and destroys through without approval.
if [ -n "${SPACEPORT_E2E_POLICY:-}" ]; then
  # shellcheck disable=SC2086
  "$bin" policy set $SPACEPORT_E2E_POLICY --database "$db" "${key[@]}" >/dev/null
fi
if [ -n "${SPACEPORT_E2E_TAMPER:-}" ]; then
  sqlite3 "$db" "DROP TRIGGER audit_events_no_update;
    UPDATE audit_events SET actor = 'someone-else' WHERE id = (SELECT MIN(id) FROM audit_events);"
fi
exec "$bin" --database "$db" "${key[@]}" "$@" >"$log" 2>&1
