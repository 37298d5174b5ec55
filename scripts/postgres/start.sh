#!/usr/bin/env bash
# Starts (or finds running) a local PostgreSQL 17 + pgvector server for Vitrine's tests and local trials:
# 127.0.0.1 only, trust authentication, database "vitrine". Idempotent: the Debian trixie tree is built once
# (VITRINE_PG_ROOT, default /var/cache/vitrine-pg/trixie) and a running server is reused.
# Writes VITRINE_TEST_PG_URL=... to VITRINE_PG_ENV_FILE (default /tmp/vitrine-pg.env) and prints
# `export VITRINE_TEST_PG_URL=...`, so `eval "$(scripts/postgres/start.sh)"` sets it in the calling shell.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { log "needs root (debootstrap and chroot)"; exit 1; }

ensure_tree
if [ ! -f "$VITRINE_PG_ROOT$PG_PRIMARY_DATA/PG_VERSION" ]; then
  log "initdb $PG_PRIMARY_DATA"
  mkdir -p "$VITRINE_PG_ROOT/srv/vitrine"
  chroot "$VITRINE_PG_ROOT" chown postgres:postgres /srv/vitrine
  as_postgres "$PG_BIN/initdb" -D "$PG_PRIMARY_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >&2
  cat >>"$VITRINE_PG_ROOT$PG_PRIMARY_DATA/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
# A plain folder stands in for /dev/shm inside the tree; mmap files in the data folder need nothing mounted.
dynamic_shared_memory_type = mmap
wal_level = replica
max_wal_senders = 5
hot_standby = on
max_connections = 100
shared_buffers = '256MB'
maintenance_work_mem = '256MB'
CONF
fi
if is_running "$PG_PRIMARY_DATA"; then
  log "primary already running"
else
  log "starting primary"
  start_server "$PG_PRIMARY_DATA"
fi
port="$(recorded_port "$PG_PRIMARY_DATA")"
if ! as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$VITRINE_PG_DB'" | grep -q 1; then
  as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $VITRINE_PG_DB" >&2
fi
url="postgres://postgres@127.0.0.1:$port/$VITRINE_PG_DB"
set_env_line VITRINE_TEST_PG_URL "$url"
log "primary ready at $url (also in $VITRINE_PG_ENV_FILE)"
echo "export VITRINE_TEST_PG_URL=$url"
