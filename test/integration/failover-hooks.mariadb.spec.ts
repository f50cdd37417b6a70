import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, serverKey, useFailoverWorld } from '../support/failover-app';
import { openEventStream } from '../support/sse-client';

jest.setTimeout(120_000);

/** A directory of hook scripts, written before the app starts (it checks an absolute hook path is executable). */
function hookDir(scripts: Record<string, string>): { path: string; file(name: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'logic-ha-hooks-'));
  for (const [name, body] of Object.entries(scripts))
    writeFileSync(join(path, name), `#!/bin/sh\n${body.replaceAll('$DIR', path)}\n`, { mode: 0o755 });
  return { path, file: (name) => join(path, name), remove: () => rmSync(path, { recursive: true, force: true }) };
}

const runsOf = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

/**
 * FAILOVER_PRE_HOOK exits 3: the primary is killed (SIGKILL), its death confirmed, and no
 * failover happens. The veto is in the status, the history and on the event stream; the
 * hook is not run again at every heartbeat.
 */
describe('a vetoing pre-failover hook (real MariaDB, kill -9 of the primary)', () => {
  const hooks = hookDir({
    'pre.sh': [
      'cat > $DIR/pre-stdin.json',
      'env | grep "^LOGIC_HA_" | sort > $DIR/pre-env.txt',
      'echo run >> $DIR/pre-runs',
      'echo "maintenance window: no automatic failover"',
      'echo "ask the DBA on call" >&2',
      'exit 3',
    ].join('\n'),
  });
  const world = useFailoverWorld({
    replicas: 1,
    serverIdBase: 230,
    replicatingStandbys: 1,
    env: { FAILOVER_PRE_HOOK: hooks.file('pre.sh'), FAILOVER_HOOK_TIMEOUT_MS: '20000' },
  });
  afterAll(() => hooks.remove());

  it('blocks the failover, records the veto with exit code and output, and shows it in the status', async () => {
    const primary = serverKey(world.cluster.primary.port);
    const standby = serverKey(world.cluster.replicas[0].port);
    const events = await openEventStream(`${world.app.baseUrl}/api/v1/events`, ADMIN_TOKEN);
    await events.waitFor('topology', 5000);
    expect((await world.app.admin.api('GET', '/api/v1/failover/status')).body.hooks).toEqual({
      pre: true,
      post: false,
      failed: false,
      timeoutMs: 20_000,
    });

    await world.cluster.primary.kill();
    const vetoed = await events.waitFor('db.failover-vetoed', 60_000);
    expect(vetoed.data).toMatchObject({ primary, epoch: 0, hook: 'FAILOVER_PRE_HOOK', exitCode: 3 });
    const status = await world.app.admin.poll('/api/v1/failover/status', (s) => s.lastVeto !== null);
    expect(status).toMatchObject({ epoch: 0, primary, lastChange: null });
    expect(status.lastVeto).toMatchObject({
      primary,
      epoch: 0,
      hook: 'FAILOVER_PRE_HOOK',
      exitCode: 3,
      timedOut: false,
      output: expect.stringContaining('maintenance window: no automatic failover'),
    });
    expect(status.lastVeto.output).toContain('ask the DBA on call');
    expect(status.detection.blockedReason).toMatch(/vetoed by FAILOVER_PRE_HOOK exited with code 3/);
    expect(events.events.filter((e) => e.type === 'db.failover-started')).toEqual([]);
    events.close();

    // What the hook was told.
    expect(JSON.parse(readFileSync(hooks.file('pre-stdin.json'), 'utf8'))).toMatchObject({
      event: 'pre-failover',
      kind: 'failover',
      oldPrimary: primary,
      newPrimary: null,
      epoch: 0,
      reason: expect.stringMatching(/heartbeats missed|fast path: the primary refused/),
    });
    const env = readFileSync(hooks.file('pre-env.txt'), 'utf8');
    expect(env).toContain(`LOGIC_HA_OLD_PRIMARY=${primary}\n`);
    expect(env).toContain('LOGIC_HA_EVENT=pre-failover\n');

    // Nothing changed: the standby is still a read-only replica, the topology still names the dead primary.
    const [{ readOnly }] = await world.cluster.replicas[0].query<{ readOnly: number }[]>(
      'SELECT @@global.read_only AS readOnly',
    );
    expect(readOnly).toBe(1);
    expect(world.dataDir.topology()).toMatchObject({ epoch: 0, primary, fenced: [] });
    const history = (await world.app.admin.api('GET', '/api/v1/failover/history')).body.items;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ outcome: 'vetoed', oldPrimary: primary, newPrimary: null });
    expect(standby).not.toBe(primary);

    // Its output was logged line by line with the hook's name.
    const logged = world.app.test.logs.filter((line) => line.includes('"msg":"hook output"'));
    expect(logged.some((line) => line.includes('FAILOVER_PRE_HOOK') && line.includes('maintenance window'))).toBe(true);
  });

  it('does not run the hook again at every heartbeat, but again once an operator acknowledges', async () => {
    const misses = (await world.app.admin.api('GET', '/api/v1/failover/status')).body.detection.misses as number;
    await world.app.admin.poll('/api/v1/failover/status', (s) => s.detection.misses >= misses + 4);
    expect(runsOf(hooks.file('pre-runs'))).toBe(1);

    expect((await world.app.admin.api('POST', '/api/v1/failover/ack', {})).status).toBe(200);
    await world.app.admin.poll(
      '/api/v1/failover/history',
      (h) => h.items.filter((r: { outcome: string }) => r.outcome === 'vetoed').length === 2,
    );
    expect(runsOf(hooks.file('pre-runs'))).toBe(2);
    const status = (await world.app.admin.api('GET', '/api/v1/failover/status')).body;
    expect(status).toMatchObject({ epoch: 0, primary: serverKey(world.cluster.primary.port) });
  });
});

/**
 * FAILOVER_PRE_HOOK exits 0: the failover proceeds, and FAILOVER_POST_HOOK (a pipeline)
 * receives the change as JSON on its stdin.
 */
describe('a pre-failover hook that agrees, and a post-failover hook (real MariaDB, kill -9 of the primary)', () => {
  const hooks = hookDir({
    'pre.sh': ['cat > $DIR/pre-stdin.json', 'echo "checked: go ahead"', 'exit 0'].join('\n'),
  });
  const world = useFailoverWorld({
    replicas: 1,
    serverIdBase: 240,
    replicatingStandbys: 1,
    env: {
      FAILOVER_PRE_HOOK: hooks.file('pre.sh'),
      FAILOVER_POST_HOOK: `cat > ${hooks.file('post.tmp')} && env | grep '^LOGIC_HA_' | sort > ${hooks.file('post-env.txt')} && mv ${hooks.file('post.tmp')} ${hooks.file('post.json')}`,
    },
  });
  afterAll(() => hooks.remove());

  it('fails over, and the post-hook receives the change as JSON and LOGIC_HA_* variables', async () => {
    const oldPrimary = serverKey(world.cluster.primary.port);
    const newPrimary = serverKey(world.cluster.replicas[0].port);
    await world.cluster.primary.kill();
    const status = await world.app.admin.poll('/api/v1/failover/status', (s) => s.epoch === 1 && !s.switching);
    expect(status).toMatchObject({ primary: newPrimary, lastVeto: null });
    expect(status.lastChange).toMatchObject({ kind: 'failover', outcome: 'succeeded', newPrimary });

    expect(JSON.parse(readFileSync(hooks.file('pre-stdin.json'), 'utf8'))).toMatchObject({
      event: 'pre-failover',
      oldPrimary,
      epoch: 0,
    });
    await waitUntil(() => existsSync(hooks.file('post.json')), 30_000);
    const change = JSON.parse(readFileSync(hooks.file('post.json'), 'utf8'));
    expect(change).toEqual({
      event: 'post-failover',
      kind: 'failover',
      failoverId: status.lastChange.id,
      oldPrimary,
      newPrimary,
      epoch: 1,
      reason: null,
      step: null,
      clusterNode: null,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const env = readFileSync(hooks.file('post-env.txt'), 'utf8');
    expect(env).toContain(`LOGIC_HA_NEW_PRIMARY=${newPrimary}\n`);
    expect(env).toContain(`LOGIC_HA_FAILOVER_ID=${status.lastChange.id}\n`);
    expect(env).toContain('LOGIC_HA_EPOCH=1\n');
    expect(env).toContain('LOGIC_HA_KIND=failover\n');
  });
});

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
