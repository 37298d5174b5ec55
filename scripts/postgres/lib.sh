# Shared settings and helpers for the test PostgreSQL scripts (sourced, not run).
# Debian 12 packages no pgvector, so the server runs from a Debian 13 (trixie) tree made once by debootstrap and
# entered with chroot: PostgreSQL 17 + pgvector, no systemd, no mounts needed.
VITRINE_PG_ROOT="${VITRINE_PG_ROOT:-/var/cache/vitrine-pg/trixie}"
# VITRINE_PG_MIRROR: the Debian archive debootstrap fetches trixie from; by default the one apt uses here.
VITRINE_PG_ENV_FILE="${VITRINE_PG_ENV_FILE:-/tmp/vitrine-pg.env}"
VITRINE_PG_DB="${VITRINE_PG_DB:-vitrine}"
PG_BIN=/usr/lib/postgresql/17/bin
# Data folders, as seen inside the chroot.
PG_PRIMARY_DATA=/srv/vitrine/primary
PG_REPLICA_DATA=/srv/vitrine/replica

log() { echo "vitrine-pg: $*" >&2; }

# Prints the first Debian archive URI in apt's sources under an apt folder (default /etc/apt): deb822
# `*.sources` stanzas first (`Types: deb`, not `Enabled: no`), then one-line `deb` entries in sources.list and
# `*.list`. Only entries for a Debian release (bookworm, trixie, stable, ...) count, and security archives are
# skipped, so a Node or vendor repository is never taken. The repository names no mirror of its own: a
# machine's mirror is where it is allowed to fetch from (a Debian mirror serves every release's suites).
debian_mirror_from_apt() {
  local apt_dir="${1:-/etc/apt}" file
  local releases='^(buster|bullseye|bookworm|trixie|forky|sid|oldstable|stable|testing|unstable)$'
  {
    for file in "$apt_dir"/sources.list.d/*.sources; do
      [ -f "$file" ] || continue
      awk -v releases="$releases" '
        function flush(   n, i, s, u) {
          if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no" && uris !~ /security/) {
            n = split(suites, s, /[ \t]+/)
            for (i = 1; i <= n; i++) if (s[i] ~ releases) { split(uris, u, /[ \t]+/); print u[1]; break }
          }
          types = ""; uris = ""; suites = ""; enabled = ""
        }
        function value() { v = $0; sub(/^[^:]*:[ \t]*/, "", v); sub(/[ \t]+$/, "", v); return v }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        tolower($1) == "types:" { types = value(); next }
        tolower($1) == "uris:" { uris = value(); next }
        tolower($1) == "suites:" { suites = value(); next }
        tolower($1) == "enabled:" { enabled = value(); next }
        END { flush() }
      ' "$file"
    done
    for file in "$apt_dir"/sources.list "$apt_dir"/sources.list.d/*.list; do
      [ -f "$file" ] || continue
      awk -v releases="$releases" '
        $1 != "deb" { next }
        {
          line = $0; sub(/^[ \t]*deb[ \t]+/, "", line); sub(/^\[[^]]*\][ \t]*/, "", line)
          split(line, f, /[ \t]+/)
          if (f[1] !~ /security/ && f[2] ~ releases) print f[1]
        }
      ' "$file"
    done
  } | head -n 1
}

# The mirror to build the tree from: VITRINE_PG_MIRROR, else apt's own (under an apt folder, default
# /etc/apt); says what to do when there is none.
debian_mirror() {
  local apt_dir="${1:-/etc/apt}"
  local mirror="${VITRINE_PG_MIRROR:-$(debian_mirror_from_apt "$apt_dir")}"
  if [ -z "$mirror" ]; then
    log "no Debian archive in $apt_dir/sources.list or $apt_dir/sources.list.d/; set VITRINE_PG_MIRROR to a Debian mirror that serves trixie"
    return 1
  fi
  echo "$mirror"
}

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
  local mirror
  mirror="$(debian_mirror)"
  log "building $VITRINE_PG_ROOT with debootstrap from $mirror (trixie, postgresql-17 + pgvector; about a minute and 700 MB, once)"
  rm -rf "$VITRINE_PG_ROOT.partial"
  mkdir -p "$(dirname "$VITRINE_PG_ROOT")"
  debootstrap --variant=minbase --include=postgresql-17,postgresql-17-pgvector trixie "$VITRINE_PG_ROOT.partial" "$mirror" >&2
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
