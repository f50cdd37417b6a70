-- Accounts for a logic-ha deployment. Run it on the primary: replication carries it to the
-- replicas, which need the accounts too (to serve after a promotion). To run it on a replica
-- before replication starts (as docker/mariadb/replica-init.sh expects), turn binary logging
-- off for that session first (SET SESSION sql_log_bin = 0): otherwise the replica holds
-- transactions of its own (errant GTIDs) and, under gtid_strict_mode, cannot follow.
-- Change the passwords through the compose variables before any real use.

CREATE DATABASE IF NOT EXISTS logic_ha CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;

-- The application account: everything on its database, nothing global. Without SUPER or
-- READ ONLY ADMIN, read_only = ON really fences it on a replica or a demoted primary.
CREATE USER IF NOT EXISTS 'logic_ha'@'%' IDENTIFIED BY 'app-password-change-me';
GRANT ALL PRIVILEGES ON logic_ha.* TO 'logic_ha'@'%';

-- Replication: what a replica's IO thread connects as.
CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'repl-password-change-me';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'%';

-- The failover monitor: reads replication state (SLAVE MONITOR), promotes, fences (read_only), flushes
-- binary logs for incremental backups, and dumps for full ones. With FAILOVER_CONFIGURE_REPLICAS it also
-- sets each standby's MASTER_HEARTBEAT_PERIOD and rpl_semi_sync_slave_enabled (REPLICATION SLAVE ADMIN)
-- and the primary's rpl_semi_sync_master_enabled (REPLICATION MASTER ADMIN). Never SUPER.
CREATE USER IF NOT EXISTS 'monitor'@'%' IDENTIFIED BY 'monitor-password-change-me';
GRANT PROCESS, RELOAD, REPLICATION CLIENT, REPLICATION SLAVE, REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN,
      SLAVE MONITOR, READ_ONLY ADMIN, BINLOG ADMIN, CONNECTION ADMIN, SELECT, SHOW VIEW, EVENT, TRIGGER, LOCK TABLES
  ON *.* TO 'monitor'@'%';

-- The epoch marker: after each failover or switchover the monitor records the new epoch in
-- logic_ha_epoch (created by logic-ha's migration ha-5) on the new primary; replication carries
-- it to the standbys. INSERT on that one table: CREATE is what lets MariaDB accept a grant on a
-- table that does not exist yet (the migrations create it). (The reclone grant below covers it
-- too; this one says what the monitor writes in normal operation.)
GRANT CREATE, INSERT ON logic_ha.logic_ha_epoch TO 'monitor'@'%';

-- Test restores (docs/backups-test-restore.md): the monitor restores the newest chain into a
-- private scratch database on the primary's server, compares it with the fingerprints the
-- backup recorded, and drops it. Its sessions run with sql_log_bin = 0, so nothing of it
-- reaches the replicas or creates a GTID: that needs BINLOG ADMIN (granted above; never
-- SUPER). Replaying binlog row events needs BINLOG REPLAY. Everything else only on the
-- scratch database, named after the app database: <db>_logic_ha_restore_check.
GRANT BINLOG REPLAY ON *.* TO 'monitor'@'%';
GRANT ALL PRIVILEGES ON `logic_ha_logic_ha_restore_check`.* TO 'monitor'@'%';

-- Reclone (docs/operations.md, "Rejoin a fenced server"): a fenced server holding errant
-- transactions is rebuilt by the monitor from the newest backup. On that server it runs
-- STOP SLAVE, RESET SLAVE ALL (REPLICATION SLAVE ADMIN) and RESET MASTER (RELOAD), then, in
-- sessions with sql_log_bin = 0 (BINLOG ADMIN), drops and re-creates the app database, loads
-- the dump (DROP/CREATE TABLE, LOCK TABLES, ALTER TABLE ... DISABLE KEYS, INSERT) and replays
-- the backups' binlogs (the app's writes and migrations, as statements or BINLOG row events:
-- BINLOG REPLAY). All global rights above; on the app database it needs these, and only
-- these: no GRANT OPTION, and nothing for views, routines or triggers (the schema has none).
GRANT CREATE, DROP, ALTER, INDEX, INSERT, UPDATE, DELETE ON logic_ha.* TO 'monitor'@'%';
