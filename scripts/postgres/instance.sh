#!/usr/bin/env bash
# A private PostgreSQL 17 + pgvector server of its own, for tests and soaks that stop or restart their database
# (the server from start.sh is shared by everyone and must never be restarted). Same Debian tree as start.sh,
# its own data folder (/srv/vitrine/instance-<name> inside the tree) and its own port.
#
#   scripts/postgres/instance.sh start <name>     # initdb once, start; prints the URL on stdout
#   scripts/postgres/instance.sh restart <name>   # pg_ctl restart -m fast: every session ends with 57P01
#   scripts/postgres/instance.sh stop <name>      # stop (fast); `stop <name> --clean` also deletes the data
#   scripts/postgres/instance.sh url <name>       # the URL of a started instance
# Needs root (chroot), like start.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { log "needs root (debootstrap and chroot)"; exit 1; }

command="${1:-}"
name="${2:-}"
[[ "$name" =~ ^[a-z0-9_-]{1,40}$ ]] || { log "usage: $0 start|restart|stop|url <name> (a-z, 0-9, _ and -)"; exit 2; }
data="/srv/vitrine/instance-$name"

url_of() { echo "postgres://postgres@127.0.0.1:$(recorded_port "$data")/$VITRINE_PG_DB"; }

ensure_database() {
  local port
  port="$(recorded_port "$data")"
  if ! as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$VITRINE_PG_DB'" | grep -q 1; then
    as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $VITRINE_PG_DB" >&2
  fi
}

case "$command" in
  start)
    ensure_tree
    if [ ! -f "$VITRINE_PG_ROOT$data/PG_VERSION" ]; then
      log "initdb $data"
      mkdir -p "$VITRINE_PG_ROOT/srv/vitrine"
      chroot "$VITRINE_PG_ROOT" chown postgres:postgres /srv/vitrine
      as_postgres "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --data-checksums >&2
      # Small: it holds test tables only, beside the shared server on the same machine.
      cat >>"$VITRINE_PG_ROOT$data/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
dynamic_shared_memory_type = mmap
max_connections = 60
shared_buffers = '64MB'
CONF
    fi
    if is_running "$data"; then log "instance $name already running"; else start_server "$data"; fi
    ensure_database
    log "instance $name ready at $(url_of)"
    url_of
    ;;
  restart)
    is_running "$data" || { log "instance $name is not running"; exit 1; }
    as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 restart -l "$data/server.log" >&2
    ;;
  stop)
    if is_running "$data"; then as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >&2; fi
    if [ "${3:-}" = "--clean" ]; then rm -rf "${VITRINE_PG_ROOT:?}$data"; fi
    ;;
  url)
    is_running "$data" || { log "instance $name is not running"; exit 1; }
    url_of
    ;;
  *)
    log "usage: $0 start|restart|stop|url <name>"
    exit 2
    ;;
esac
