#!/usr/bin/env bash
# Starts (or finds running) a streaming replica of the server from start.sh: a hot standby made with
# `pg_basebackup -R`, read-only, on its own port. Shows read scale-out: write to the primary, search the replica.
# Adds VITRINE_TEST_PG_REPLICA_URL=... to VITRINE_PG_ENV_FILE and prints `export VITRINE_TEST_PG_REPLICA_URL=...`.
set -euo pipefail
here="$(dirname "$0")"
. "$here/lib.sh"
"$here/start.sh" >/dev/null
primary_port="$(recorded_port "$PG_PRIMARY_DATA")"

make_replica() {
  log "pg_basebackup from the primary into $PG_REPLICA_DATA"
  rm -rf "$VITRINE_PG_ROOT$PG_REPLICA_DATA"
  as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$PG_REPLICA_DATA" -R -X stream -c fast >&2
  # The backup copies the primary's port; the replica needs its own.
  echo "port = $(free_port)" >>"$VITRINE_PG_ROOT$PG_REPLICA_DATA/postgresql.auto.conf"
}

if is_running "$PG_REPLICA_DATA"; then
  log "replica already running"
else
  if [ -f "$VITRINE_PG_ROOT$PG_REPLICA_DATA/standby.signal" ]; then
    # The primary may have come back on another port since the backup was taken.
    echo "primary_conninfo = 'host=127.0.0.1 port=$primary_port user=postgres application_name=vitrine_replica'" \
      >>"$VITRINE_PG_ROOT$PG_REPLICA_DATA/postgresql.auto.conf"
  else
    make_replica
  fi
  log "starting replica"
  if ! start_server "$PG_REPLICA_DATA"; then
    # A primary made afresh since (another system id) leaves an unusable standby: take a new backup.
    make_replica
    start_server "$PG_REPLICA_DATA"
  fi
fi
port="$(recorded_port "$PG_REPLICA_DATA")"
url="postgres://postgres@127.0.0.1:$port/$VITRINE_PG_DB"
set_env_line VITRINE_TEST_PG_REPLICA_URL "$url"
log "replica ready at $url (also in $VITRINE_PG_ENV_FILE)"
echo "export VITRINE_TEST_PG_REPLICA_URL=$url"
