#!/usr/bin/env bash
# Stops the servers started by start.sh and start-replica.sh and removes the env file naming them (tests then skip
# instead of failing to connect). `--clean` also deletes their data folders (the Debian tree stays, for next time).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -x "$VITRINE_PG_ROOT$PG_BIN/pg_ctl" ] || exit 0
for data in "$PG_REPLICA_DATA" "$PG_PRIMARY_DATA"; do
  if is_running "$data"; then
    log "stopping $data"
    as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >&2
  fi
done
rm -f "$VITRINE_PG_ENV_FILE"
if [ "${1:-}" = "--clean" ]; then
  rm -rf "$VITRINE_PG_ROOT$PG_PRIMARY_DATA" "$VITRINE_PG_ROOT$PG_REPLICA_DATA"
fi
