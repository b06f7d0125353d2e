#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests, on 127.0.0.1 only.
#
#   bash .ci/postgres.sh [DIR]          install if missing, create the cluster in DIR (once), start it
#                                       (once), create the database (once); print its SQLAlchemy URL
#   bash .ci/postgres.sh --stop [DIR]   stop the server of DIR
#
# Idempotent: running it again reuses the cluster, the running server and the database.
# DIR defaults to ${TMPDIR:-/tmp}/pairmatch-pg. Everything but the URL goes to stderr.
set -euo pipefail

stop=0
if [[ "${1:-}" == "--stop" ]]; then stop=1; shift; fi
dir="${1:-${TMPDIR:-/tmp}/pairmatch-pg}"
db="pairmatch_test"
log() { echo "postgres.sh: $*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [[ -z "$(bindir)" ]]; then
    if [[ $stop == 1 ]]; then exit 0; fi
    log "installing postgresql from the system packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
bin="$(bindir)"
[[ -x "$bin/initdb" ]] || { log "no initdb found under /usr/lib/postgresql"; exit 1; }

# The server refuses to run as root: run its tools as the postgres user then.
as_owner() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [[ $stop == 1 ]]; then
    if [[ -f "$dir/postmaster.pid" ]]; then as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >&2 || true; fi
    exit 0
fi

mkdir -p "$dir"
chmod 700 "$dir"
if [[ $(id -u) == 0 ]]; then chown postgres:postgres "$dir"; fi

if [[ ! -f "$dir/PG_VERSION" ]]; then
    log "creating a cluster in $dir"
    password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    pwfile="$(mktemp)"
    printf '%s\n' "$password" > "$pwfile"
    if [[ $(id -u) == 0 ]]; then chown postgres "$pwfile"; fi
    as_owner "$bin/initdb" -D "$dir" -U postgres --pwfile="$pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2
    rm -f "$pwfile"
    as_owner sh -c "umask 077; printf '%s\n' '$password' > '$dir/pairmatch-password'"
fi
password="$(cat "$dir/pairmatch-password")"

if as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    port="$(sed -n 4p "$dir/postmaster.pid")"
    log "server already running on 127.0.0.1:$port"
else
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    log "starting the server on 127.0.0.1:$port"
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >&2
fi

psql=("$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
if [[ "$(as_owner "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]]; then
    as_owner "${psql[@]}" -c "CREATE DATABASE $db" >&2
fi
echo "postgresql+psycopg://postgres:$password@127.0.0.1:$port/$db"
