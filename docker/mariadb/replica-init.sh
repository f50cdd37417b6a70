#!/bin/bash
# Runs once in the replica container, after users.sql: waits for the primary, then
# replicates from the primary's current GTID position with a 1 s master heartbeat.
# Both servers created the same accounts from users.sql, so nothing earlier is replayed.
set -euo pipefail

PRIMARY_HOST="${PRIMARY_HOST:-db-primary}"
PRIMARY_PORT="${PRIMARY_PORT:-3306}"
# The local server: the container's socket by default; LOCAL_SERVER_ARGS lets the test
# suite run this same script against its private servers ("-h127.0.0.1 -P<port>").
# shellcheck disable=SC2206
client=(mariadb -uroot ${MARIADB_ROOT_PASSWORD:+"-p${MARIADB_ROOT_PASSWORD}"} ${LOCAL_SERVER_ARGS:-})

attempts="${PRIMARY_WAIT_ATTEMPTS:-60}"
connected=false
for attempt in $(seq 1 "$attempts"); do
  if position=$(mariadb -h"$PRIMARY_HOST" -P"$PRIMARY_PORT" -urepl "-p${REPLICATION_PASSWORD}" -N -e 'SELECT @@global.gtid_binlog_pos' 2>/dev/null); then
    connected=true
    break
  fi
  echo "replica-init: waiting for $PRIMARY_HOST ($attempt/$attempts)"
  sleep 2
done
if [ "$connected" != true ]; then
  echo "replica-init: primary $PRIMARY_HOST never answered" >&2
  exit 1
fi

"${client[@]}" <<SQL
STOP SLAVE;
SET GLOBAL gtid_slave_pos = '${position}';
CHANGE MASTER TO
  MASTER_HOST = '${PRIMARY_HOST}', MASTER_PORT = ${PRIMARY_PORT},
  MASTER_USER = 'repl', MASTER_PASSWORD = '${REPLICATION_PASSWORD}',
  MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1;
START SLAVE;
SQL
echo "replica-init: replicating from ${PRIMARY_HOST} at GTID '${position}'"
