#!/usr/bin/env bash
# Reuse the machine's MariaDB (3306) and Redis (6379); start them if installed but stopped;
# install them with apt when missing (we run as root on these machines). Fails loudly otherwise.
# It never stops, restarts or flushes a running service: they are shared.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  return 1
}

ensure_redis() {
  port_open 6379 && return 0
  command -v redis-server >/dev/null || apt-get install -y -q redis-server >/dev/null
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no
  wait_port 6379
}

ensure_mariadb() {
  port_open 3306 && return 0
  [ -x /usr/sbin/mariadbd ] || apt-get install -y -q mariadb-server >/dev/null
  install -d -o mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- \
    --user=mysql --bind-address=127.0.0.1
  wait_port 3306
}

status=0
ensure_redis || { echo "ERROR: Redis is required on 127.0.0.1:6379 and could not be started" >&2; status=1; }
ensure_mariadb || { echo "ERROR: MariaDB is required on 127.0.0.1:3306 and could not be started" >&2; status=1; }
exit $status
