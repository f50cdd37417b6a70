import { Logger } from '@nestjs/common';
import { FakeClock } from '../../../test/support/fake-clock';
import { SwitchableLeadership, replicatedConfig } from '../../../test/support/failover-fakes';
import type { AppConfig, FailoverHooksConfig } from '../../config/app-config';
import { FailoverHooks } from './failover-hooks';
import { FakeCommandRunner } from './fake-command-runner';
import { PostFailoverHooks } from './post-failover-hooks';

function world(hooks: Partial<FailoverHooksConfig>) {
  const config: AppConfig = {
    ...replicatedConfig(1),
    failoverHooks: { pre: null, post: null, failed: null, timeoutMs: 5000, ...hooks },
  };
  const commands = new FakeCommandRunner();
  const leadership = new SwitchableLeadership();
  const clock = new FakeClock(new Date('2026-11-29T12:00:00Z'));
  const post = new PostFailoverHooks(new FailoverHooks(config, commands), leadership, clock);
  return { commands, leadership, post };
}

const changed = {
  id: 'fo-20261129T120000000Z',
  kind: 'failover' as const,
  epoch: 3,
  oldPrimary: '127.0.0.1:1',
  newPrimary: '127.0.0.1:2',
  at: new Date('2026-11-29T12:00:05Z'),
};

describe('FAILOVER_POST_HOOK and FAILOVER_FAILED_HOOK', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('runs the post-hook after a primary change, with the change as JSON and LOGIC_HA_* variables', async () => {
    const { commands, post } = world({ post: 'notify', failed: 'page' });
    post.onPrimaryChanged(changed);
    await post.idle();
    expect(commands.requests).toHaveLength(1);
    expect(commands.requests[0].command).toBe('notify');
    expect(commands.event(0)).toEqual({
      event: 'post-failover',
      kind: 'failover',
      failoverId: changed.id,
      oldPrimary: '127.0.0.1:1',
      newPrimary: '127.0.0.1:2',
      epoch: 3,
      reason: null,
      step: null,
      clusterNode: 'node-a',
      at: '2026-11-29T12:00:05.000Z',
    });
    expect(commands.requests[0].env).toMatchObject({
      LOGIC_HA_HOOK: 'FAILOVER_POST_HOOK',
      LOGIC_HA_KIND: 'failover',
      LOGIC_HA_FAILOVER_ID: changed.id,
      LOGIC_HA_NEW_PRIMARY: '127.0.0.1:2',
      LOGIC_HA_EPOCH: '3',
    });
    expect(Object.keys(commands.requests[0].env).filter((name) => !name.startsWith('LOGIC_HA_'))).toEqual(
      expect.arrayContaining(['PATH']),
    );
    expect(commands.requests[0].env).not.toHaveProperty('ADMIN_TOKEN');
  });

  it('runs the failed-hook after a failed failover or switchover, naming the step and the reason', async () => {
    const { commands, post } = world({ post: 'notify', failed: 'page' });
    post.onFailoverFailed({
      id: 'so-1',
      kind: 'switchover',
      epoch: 2,
      oldPrimary: '127.0.0.1:1',
      step: 'catch-up',
      reason: 'catch-up: timed out',
    });
    await post.idle();
    expect(commands.requests.map((r) => r.command)).toEqual(['page']);
    expect(commands.event(0)).toMatchObject({
      event: 'failover-failed',
      kind: 'switchover',
      step: 'catch-up',
      reason: 'catch-up: timed out',
    });
    expect(commands.requests[0].env).toMatchObject({ LOGIC_HA_STEP: 'catch-up', LOGIC_HA_KIND: 'switchover' });
  });

  it('does not hold the caller: the event handler returns before the hook ends, and idle() waits for it', async () => {
    const { commands, post } = world({ post: 'slow' });
    let release!: () => void;
    commands.gate = new Promise((resolve) => (release = resolve));
    post.onPrimaryChanged(changed);
    let idle = false;
    const waiting = post.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    release();
    await waiting;
    expect(idle).toBe(true);
  });

  it('runs nothing on a node that does not lead (it only follows the change) or when no hook is set', async () => {
    const follower = world({ post: 'notify', failed: 'page' });
    follower.leadership.leading = false;
    follower.post.onPrimaryChanged(changed);
    await follower.post.idle();
    expect(follower.commands.requests).toEqual([]);
    const unset = world({});
    unset.post.onPrimaryChanged(changed);
    await unset.post.idle();
    expect(unset.commands.requests).toEqual([]);
  });
});
