import type { MariaDbServer } from '../../test/support/mariadb';

const FILL_CHUNK = 100_000;
const DAY_S = 86_400;

/**
 * Fills `logic_instance` with `rows` instances as a busy deployment holds them: 10%
 * running, 20% uncompleted and not running, 70% completed; createTime spread over 90
 * days; 200 logic ids. Returns the seconds it took (ANALYZE included).
 */
export async function fillInstances(server: MariaDbServer, database: string, rows: number): Promise<number> {
  const started = Date.now();
  const connection = await server.connectAsRoot(database);
  try {
    for (let from = 1; from <= rows; from += FILL_CHUNK) {
      const to = Math.min(rows, from + FILL_CHUNK - 1);
      await connection.query(
        `INSERT INTO logic_instance (id, logicId, bizId, version, isOver, isRunning, success, retryTimes, createTime, startTime, stopTime, duration, serverTime, paramsJson)
         SELECT CONCAT('seed-', LPAD(seq, 8, '0')), CONCAT('logic-', seq % 200), CONCAT('biz-', seq), '1.0',
                IF(seq % 10 < 3, 0, 1), IF(seq % 10 = 0, 1, 0), IF(seq % 10 = 0, NULL, seq % 2), seq % 6,
                UTC_TIMESTAMP() - INTERVAL (seq * ${(90 * DAY_S) / rows}) SECOND,
                IF(seq % 10 = 0, UTC_TIMESTAMP() - INTERVAL (seq % 14400) SECOND, UTC_TIMESTAMP() - INTERVAL (seq * ${(90 * DAY_S) / rows}) SECOND),
                NULL, NULL, UTC_TIMESTAMP() - INTERVAL (seq % 86400) SECOND, '{"orderId":1,"amount":100}'
           FROM seq_${from}_to_${to}`,
      );
    }
    await connection.query('ANALYZE TABLE logic_instance');
  } finally {
    await connection.end();
  }
  return (Date.now() - started) / 1000;
}
