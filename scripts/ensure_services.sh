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
      if [ "$fresh" = 1 ]; then  # a cluster we just installed: trust local TCP like the project machines do
        as_root sed -i '1i host all all 127.0.0.1/32 trust' "/etc/postgresql/$version/main/pg_hba.conf"
      fi
      echo "starting PostgreSQL $version"
      # restart, not start: apt may already have started it, before the trust line existed
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" main restart || true
      if [ "$fresh" = 1 ] && wait_for "$phost" "$pport"; then
        as_root su postgres -c "createdb test" || true
      fi
    fi
  fi
  wait_for "$phost" "$pport" || { echo "ERROR: no PostgreSQL at $PG_URL. Install and start it (Debian: apt-get install postgresql) with trust auth for the test user, or set TEST_DATABASE_URL." >&2; exit 1; }
fi
# The chart page's browser test drives Debian's Chromium with Playwright (its own browser download is not used).
CHROMIUM="${SPEEDBOARD_CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ]; then
  apt_install chromium || true
  CHROMIUM=$(command -v chromium || true)
  [ -n "$CHROMIUM" ] || { echo "ERROR: no Chromium for the browser tests. Install it (Debian: apt-get install chromium), or set SPEEDBOARD_CHROMIUM to a Chromium binary." >&2; exit 1; }
fi
echo "services ready: Redis $rhost:$rport, PostgreSQL $phost:$pport, Chromium $CHROMIUM"
