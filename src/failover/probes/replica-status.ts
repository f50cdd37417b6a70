/** One standby's replication as its own server reports it (`SHOW ALL SLAVES STATUS`, default connection). */
export interface ReplicaStatus {
  /** `Yes`, `No` or `Connecting`: only `Yes` means the IO thread is connected to its primary. */
  ioRunning: string;
  sqlRunning: string;
  /** Where the primary it replicates from is, as the standby knows it. */
  masterHost: string;
  masterPort: number;
  /** Every transaction received into the relay log. */
  gtidIoPosition: string;
  /** Every transaction applied. */
  gtidSlavePosition: string;
  secondsBehindMaster: number | null;
  /** Counters that move whenever the primary says something: events or heartbeats. */
  readMasterLogFile: string;
  readMasterLogPosition: number;
  receivedHeartbeats: number;
  heartbeatPeriodSeconds: number;
  lastIoError: string;
  /** Last_IO_Errno: 2003 is a connection the primary's host refused (or could not be reached); 0: none. */
  lastIoErrno: number;
  lastSqlError: string;
}

type Row = Record<string, unknown>;

/** SHOW SLAVE STATUS gives strings and numbers; null and absent read as empty. */
const text = (row: Row, key: string): string => {
  const value = row[key];
  if (value === null || value === undefined) return '';
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint'
    ? String(value)
    : JSON.stringify(value);
};
const number = (row: Row, key: string): number => Number(row[key] ?? 0);

export function replicaStatusFromRow(row: Row): ReplicaStatus {
  const behind = row.Seconds_Behind_Master;
  return {
    ioRunning: text(row, 'Slave_IO_Running'),
    sqlRunning: text(row, 'Slave_SQL_Running'),
    masterHost: text(row, 'Master_Host'),
    masterPort: number(row, 'Master_Port'),
    gtidIoPosition: text(row, 'Gtid_IO_Pos'),
    gtidSlavePosition: text(row, 'Gtid_Slave_Pos'),
    secondsBehindMaster: behind === null || behind === undefined ? null : Number(behind),
    readMasterLogFile: text(row, 'Master_Log_File'),
    readMasterLogPosition: number(row, 'Read_Master_Log_Pos'),
    receivedHeartbeats: number(row, 'Slave_received_heartbeats'),
    heartbeatPeriodSeconds: number(row, 'Slave_heartbeat_period'),
    lastIoError: text(row, 'Last_IO_Error'),
    lastIoErrno: number(row, 'Last_IO_Errno'),
    lastSqlError: text(row, 'Last_SQL_Error'),
  };
}

/** The IO thread is connected: the standby hears its primary. */
export function ioConnected(status: ReplicaStatus): boolean {
  return status.ioRunning === 'Yes';
}
