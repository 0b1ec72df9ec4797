#!/usr/bin/env bash
# Make sure the Redis and PostgreSQL the tests talk to are running, and that the browser tests have
# a Chromium: start them, install them from Debian's packages if they are missing and we are allowed
# to, or stop with what to do. Never skip.
set -uo pipefail
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
PG_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
PY="${PY:-.venv/bin/python}"

hostport() {  # URL -> "host port"
  "$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.hostname or "127.0.0.1", p.port or int(sys.argv[2]))' "$1" "$2"
}
reachable() { "$PY" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)' "$1" "$2" 2>/dev/null; }
wait_for() { for _ in $(seq 1 30); do reachable "$1" "$2" && return 0; sleep 1; done; return 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }
apt_install() {
  command -v apt-get >/dev/null || return 1
  echo "installing $* from Debian's packages"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
local_host() { case "$1" in 127.*|localhost|::1) return 0;; *) return 1;; esac; }
pg_parts() {  # URL -> "role database has_password"
  "$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.unquote(p.username or "postgres"), u.unquote(p.path.lstrip("/")) or "postgres", int(p.password is not None))' "$1"
}
# The pg_hba.conf lines of a cluster installed here for the tests, when their URL has no password: trust for the test
# role alone, from the URL's loopback address alone, on the test database and those the tests create (speedboard_*:
# one per test, and the chart benchmark's). PostgreSQL 16 and later match those by a pattern; older ones cannot, so
# there the line names every database (still for that role, from loopback, only). Any other role or address keeps
# Debian's password authentication; no line trusts every role of the machine.
trust_lines() {  # version role database host
  local databases=all
  [ "${1%%.*}" -ge 16 ] && databases="$3,\"/^speedboard_\""
  case "$4" in
    127.*) echo "host $databases $2 $4/32 trust" ;;
    ::1) echo "host $databases $2 ::1/128 trust" ;;
    *) echo "host $databases $2 127.0.0.1/32 trust"; echo "host $databases $2 ::1/128 trust" ;;  # localhost: either
  esac
}
# SQL, run as postgres, for a cluster installed here: the URL's role (able to create the per-test databases), with the
# URL's password when it has one (then no trust line is needed), and the test database.
pg_setup_sql() {  # URL
  "$PY" - "$1" <<'EOF'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
role, database = u.unquote(p.username or "postgres"), u.unquote(p.path.lstrip("/")) or "postgres"
name = lambda s: '"' + s.replace('"', '""') + '"'
text = lambda s: "'" + s.replace("'", "''") + "'"
create_role, create_database = f"CREATE ROLE {name(role)} LOGIN CREATEDB", f"CREATE DATABASE {name(database)} OWNER {name(role)}"
print(f"SELECT {text(create_role)} WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {text(role)})\\gexec")
if p.password is not None:
    print(f"ALTER ROLE {name(role)} PASSWORD {text(u.unquote(p.password))};")
print(f"SELECT {text(create_database)} WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {text(database)})\\gexec")
EOF
}

read -r rhost rport < <(hostport "$REDIS_URL" 6379)
if ! reachable "$rhost" "$rport"; then
  if local_host "$rhost"; then
    command -v redis-server >/dev/null || apt_install redis-server
    if command -v redis-server >/dev/null; then
      echo "starting Redis on port $rport"
      mkdir -p /tmp/speedboard-redis
      redis-server --daemonize yes --bind 127.0.0.1 --port "$rport" --save "" --appendonly no \
        --dir /tmp/speedboard-redis --logfile /tmp/speedboard-redis/redis.log >/dev/null
    fi
  fi
  wait_for "$rhost" "$rport" || { echo "ERROR: no Redis at $REDIS_URL. Install and start redis-server (Debian: apt-get install redis-server), or set TEST_REDIS_URL." >&2; exit 1; }
fi

read -r phost pport < <(hostport "$PG_URL" 5432)
if ! reachable "$phost" "$pport"; then
  if local_host "$phost"; then
    fresh=0
    command -v pg_ctlcluster >/dev/null || { apt_install postgresql && fresh=1; }
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$version" ]; then
      read -r prole pdb ppassword < <(pg_parts "$PG_URL")
      if [ "$fresh" = 1 ] && [ "$ppassword" = 0 ]; then  # a cluster we just installed: trust the test role only
        trust_lines "$version" "$prole" "$pdb" "$phost" | while IFS= read -r line; do
          as_root sed -i "1i $line" "/etc/postgresql/$version/main/pg_hba.conf"
        done
      fi
      echo "starting PostgreSQL $version"
      # restart, not start: apt may already have started it, before the trust lines existed
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" main restart || true
      if [ "$fresh" = 1 ] && wait_for "$phost" "$pport"; then
        pg_setup_sql "$PG_URL" | as_root su postgres -c "psql -q -v ON_ERROR_STOP=1 -d postgres" || true
      fi
    fi
  fi
  wait_for "$phost" "$pport" || { echo "ERROR: no PostgreSQL at $PG_URL. Install and start it (Debian: apt-get install postgresql) with trust auth for the test role on 127.0.0.1, or give that role a password in TEST_DATABASE_URL (postgresql://ROLE:PASSWORD@127.0.0.1:5432/test)." >&2; exit 1; }
fi
# The chart page's browser test drives Debian's Chromium with Playwright (its own browser download is not used).
CHROMIUM="${SPEEDBOARD_CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ]; then
  apt_install chromium || true
  CHROMIUM=$(command -v chromium || true)
  [ -n "$CHROMIUM" ] || { echo "ERROR: no Chromium for the browser tests. Install it (Debian: apt-get install chromium), or set SPEEDBOARD_CHROMIUM to a Chromium binary." >&2; exit 1; }
fi
echo "services ready: Redis $rhost:$rport, PostgreSQL $phost:$pport, Chromium $CHROMIUM"
