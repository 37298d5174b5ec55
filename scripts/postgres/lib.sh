# Shared settings and helpers for the test PostgreSQL scripts (sourced, not run).
# Debian 12 packages no pgvector, so the server runs from a Debian 13 (trixie) tree made once by debootstrap and
# entered with chroot: PostgreSQL 17 + pgvector, no systemd, no mounts needed.
VITRINE_PG_ROOT="${VITRINE_PG_ROOT:-/var/cache/vitrine-pg/trixie}"
VITRINE_PG_MIRROR="${VITRINE_PG_MIRROR:-http://deb.debian.org/debian}"
VITRINE_PG_ENV_FILE="${VITRINE_PG_ENV_FILE:-/tmp/vitrine-pg.env}"
VITRINE_PG_DB="${VITRINE_PG_DB:-vitrine}"
PG_BIN=/usr/lib/postgresql/17/bin
# Data folders, as seen inside the chroot.
PG_PRIMARY_DATA=/srv/vitrine/primary
PG_REPLICA_DATA=/srv/vitrine/replica

log() { echo "vitrine-pg: $*" >&2; }

# Runs a PostgreSQL binary inside the tree as the postgres user.
CHROOT="$(command -v chroot || echo /usr/sbin/chroot)"
as_postgres() {
  env -i PATH="$PG_BIN:/usr/bin:/bin" LANG=C.UTF-8 HOME=/var/lib/postgresql \
    "$CHROOT" --userspec=postgres:postgres "$VITRINE_PG_ROOT" "$@"
}

ensure_tree() {
  if [ -x "$VITRINE_PG_ROOT$PG_BIN/postgres" ] && [ -f "$VITRINE_PG_ROOT/usr/share/postgresql/17/extension/vector.control" ]; then
    return 0
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
  fi
  log "building $VITRINE_PG_ROOT with debootstrap (trixie, postgresql-17 + pgvector; about a minute and 700 MB, once)"
  rm -rf "$VITRINE_PG_ROOT.partial"
  mkdir -p "$(dirname "$VITRINE_PG_ROOT")"
  debootstrap --variant=minbase --include=postgresql-17,postgresql-17-pgvector trixie "$VITRINE_PG_ROOT.partial" "$VITRINE_PG_MIRROR" >&2
  mv "$VITRINE_PG_ROOT.partial" "$VITRINE_PG_ROOT"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

port_is_free() {
  node -e "const s=require('net').createServer();s.once('error',()=>process.exit(1));s.listen(Number(process.argv[1]),'127.0.0.1',()=>s.close())" "$1"
}

is_running() { as_postgres "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

# The port recorded in a data folder's postgresql.auto.conf (the last `port =` line wins, as in PostgreSQL).
recorded_port() { sed -n "s/^port = '\{0,1\}\([0-9]*\)'\{0,1\}$/\1/p" "$VITRINE_PG_ROOT$1/postgresql.auto.conf" 2>/dev/null | tail -1; }

# Starts the server in a data folder on its recorded port, or a fresh free port when that one is taken.
start_server() {
  local data="$1" port
  port="$(recorded_port "$data")"
  if [ -z "$port" ] || ! port_is_free "$port"; then
    port="$(free_port)"
    echo "port = $port" >>"$VITRINE_PG_ROOT$data/postgresql.auto.conf"
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >&2 || {
    tail -20 "$VITRINE_PG_ROOT$data/server.log" >&2 || true
    return 1
  }
}

# Replaces (or adds) one KEY=value line in the env file.
set_env_line() {
  local key="$1" value="$2" tmp
  tmp="$(mktemp)"
  [ -f "$VITRINE_PG_ENV_FILE" ] && grep -v "^$key=" "$VITRINE_PG_ENV_FILE" >"$tmp" || true
  echo "$key=$value" >>"$tmp"
  mv "$tmp" "$VITRINE_PG_ENV_FILE"
  chmod 644 "$VITRINE_PG_ENV_FILE"
}
