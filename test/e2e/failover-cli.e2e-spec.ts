import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { initialTopologyState } from '../../src/database/topology/topology-state';
import { BUILT_CLI } from '../support/app-process';

const run = promisify(execFile);

/** `failover status` reads the topology file only: it answers with every database down. */
describe('CLI failover status', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'logic-ha-failover-cli-'));
  // Nothing listens on these ports: the command must not need a database.
  const env = {
    PATH: process.env.PATH ?? '',
    DATA_DIR: dataDir,
    DB_TYPE: 'mysql',
    DB_PRIMARY_URL: 'mysql://app:p@127.0.0.1:1/logic_ha',
    DB_STANDBY_URLS: 'mysql://app:p@127.0.0.1:2/logic_ha',
    DB_ADMIN_USER: 'monitor',
  };
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    run(process.execPath, [BUILT_CLI, ...args], { env: { ...env, ...extra } });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('before any failover: epoch 0 on DB_PRIMARY_URL, no file yet', async () => {
    const { stdout } = await cli(['failover', 'status']);
    expect(JSON.parse(stdout)).toMatchObject({
      file: null,
      epoch: 0,
      primary: '127.0.0.1:1',
      servers: [
        { key: '127.0.0.1:1', role: 'primary' },
        { key: '127.0.0.1:2', role: 'standby' },
      ],
    });
  });

  it('after a failover: the promoted server, the fenced one and the record', async () => {
    const state = { ...initialTopologyState('127.0.0.1:2', new Date()), epoch: 3, fenced: ['127.0.0.1:1'] };
    writeFileSync(join(dataDir, 'topology.json'), JSON.stringify(state));
    const { stdout, stderr } = await cli(['failover', 'status']);
    // The topology's own warning reaches the operator (stderr), as every log line of a command does.
    expect(stderr).toContain('the stored topology overrides DB_PRIMARY_URL: a failover happened');
    expect(JSON.parse(stdout)).toMatchObject({
      epoch: 3,
      primary: '127.0.0.1:2',
      servers: [
        { key: '127.0.0.1:1', role: 'fenced' },
        { key: '127.0.0.1:2', role: 'primary' },
      ],
    });
  });

  it.each([
    [['failover'], /^Usage: logic-ha failover \[options\] \[command\][^]*status/],
    [['failover', 'promote'], /unknown command 'promote'[^]*Usage: logic-ha failover/],
    [['failover', 'status', 'now'], /too many arguments for 'status'[^]*Usage: logic-ha failover status/],
  ])('%j is a usage error (exit 2)', async (args, expected) => {
    const failure = await cli(args).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringMatching(expected) });
  });

  it('on SQLite it says there is no topology (exit 1)', async () => {
    const failure = await run(process.execPath, [BUILT_CLI, 'failover', 'status'], {
      env: { PATH: env.PATH, DATA_DIR: dataDir },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringMatching(/no failover topology/) });
  });
});
