#!/usr/bin/env bash
# Make sure Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432) answer before the tests run.
# On the project machine both already run; on a fresh Debian machine we install and start them.
# Services started here are left running for the test run; they keep nothing on disk that matters.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
apt_ready=0
apt_install() {
  if [ "$apt_ready" = 0 ]; then apt-get update -qq >/dev/null; apt_ready=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

redis_up() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 6379)); s.sendall(b"PING\r\n"); sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

if ! redis_up; then
  have redis-server || apt_install redis-server
  mkdir -p /tmp/akeneo-sync-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/akeneo-sync-redis --logfile /tmp/akeneo-sync-redis/redis.log
  for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  redis_up || { echo "ensure-services: Redis did not start" >&2; exit 1; }
  echo "ensure-services: started Redis on 127.0.0.1:6379"
fi

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! have pg_isready; then apt_install postgresql postgresql-client; fi
if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  # Tests connect as postgres over TCP without a password (trust on loopback only).
  if ! grep -q "akeneo-sync trust" "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust # akeneo-sync trust' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 100); do pg_up && break; sleep 0.1; done
  pg_up || { echo "ensure-services: PostgreSQL did not start" >&2; exit 1; }
  echo "ensure-services: started PostgreSQL $version on 127.0.0.1:5432"
fi
