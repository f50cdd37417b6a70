import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { Etcd3, IKeyValue } from 'etcd3';
import type { EventBus } from '../../common/events/event-bus';
import { EtcdKeys } from './etcd-keys';
import { EtcdLeadership, REWATCH_DELAY_MS } from './etcd-leadership';
import type { LeaseKeeper } from './lease-keeper';

/** A watcher that never connects unless the test says so (etcd down), with the events the code listens to. */
class FakeWatcher extends EventEmitter {
  readonly cancel = jest.fn(async () => undefined);
}

/** Only what EtcdLeadership.start() uses of Etcd3 when no lease was granted: `watch().key().watcher()`. */
class FakeEtcd {
  readonly watchers: FakeWatcher[] = [];
  readonly keys: string[] = [];

  watch() {
    const builder = {
      key: (key: string) => {
        this.keys.push(key);
        return builder;
      },
      watcher: () => {
        const watcher = new FakeWatcher();
        this.watchers.push(watcher);
        return watcher;
      },
      // create() waits for etcd's first answer: never, here.
      create: () => new Promise(() => undefined),
    };
    return builder;
  }

  asClient(): Etcd3 {
    return this as unknown as Etcd3;
  }
}

/** The keeper as EtcdLeadership reads it; no lease (etcd was out of reach at start). */
class FakeKeeper {
  readonly ttlMs = 10_000;
  sinceContactMs = 0;
  readonly current = undefined;
  onRenewed(): void {}
  onFailed(): void {}
  valid(): boolean {
    return false;
  }
  msSinceContact(): number {
    return this.sinceContactMs;
  }
}

function leaderKv(nodeId: string): IKeyValue {
  return {
    key: Buffer.from('/logic-ha/leader'),
    value: Buffer.from(JSON.stringify({ nodeId, address: `http://${nodeId}:8080`, since: '2026-01-01T00:00:00Z' })),
    create_revision: '5',
    mod_revision: '5',
    version: '1',
    lease: '42',
  };
}

describe('EtcdLeadership', () => {
  let etcd: FakeEtcd;
  let keeper: FakeKeeper;
  let leadership: EtcdLeadership;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    etcd = new FakeEtcd();
    keeper = new FakeKeeper();
    leadership = new EtcdLeadership(
      etcd.asClient(),
      new EtcdKeys('/logic-ha'),
      keeper as unknown as LeaseKeeper,
      'node-b',
      'http://node-b:8080',
      { emit: jest.fn() } as unknown as EventBus,
    );
  });

  afterEach(async () => {
    await leadership.stop();
    jest.useRealTimers();
  });

  it('starts without waiting for etcd to answer its watch of the leader key', async () => {
    const started = await Promise.race([
      leadership.start().then(() => 'started'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 200)),
    ]);
    expect(started).toBe('started');
    expect(etcd.keys).toEqual(['/logic-ha/leader']);
    expect(etcd.watchers).toHaveLength(1);
  });

  it('names the leader it heard of, and nobody once it has had no etcd contact for longer than the lease', async () => {
    await leadership.start();
    etcd.watchers[0].emit('put', leaderKv('node-a'));
    expect(leadership.leader()).toMatchObject({ nodeId: 'node-a', address: 'http://node-a:8080' });

    keeper.sinceContactMs = keeper.ttlMs;
    expect(leadership.leader()?.nodeId).toBe('node-a');
    keeper.sinceContactMs = keeper.ttlMs + 1;
    expect(leadership.leader()).toBeNull();
    keeper.sinceContactMs = Infinity;
    expect(leadership.leader()).toBeNull();

    // Back in contact: what it heard is current again (the key is still node-a's).
    keeper.sinceContactMs = 100;
    expect(leadership.leader()?.nodeId).toBe('node-a');
  });

  it('watches the leader key again when etcd cancels the watch, once', async () => {
    jest.useFakeTimers();
    await leadership.start();
    const first = etcd.watchers[0];
    first.emit('error', new Error('Watcher canceled: etcdserver: mvcc: required revision has been compacted'));
    expect(etcd.watchers).toHaveLength(1);
    jest.advanceTimersByTime(REWATCH_DELAY_MS);
    expect(etcd.watchers).toHaveLength(2);
    expect(etcd.keys).toEqual(['/logic-ha/leader', '/logic-ha/leader']);

    etcd.watchers[1].emit('put', leaderKv('node-a'));
    expect(leadership.leader()?.nodeId).toBe('node-a');
    // A second cancellation of the old watcher starts nothing more.
    first.emit('error', new Error('again'));
    jest.advanceTimersByTime(REWATCH_DELAY_MS);
    expect(etcd.watchers).toHaveLength(2);
  });

  it('stops watching at stop(), even while a new watch is pending', async () => {
    jest.useFakeTimers();
    await leadership.start();
    etcd.watchers[0].emit('error', new Error('Watcher canceled'));
    await leadership.stop();
    jest.advanceTimersByTime(REWATCH_DELAY_MS * 2);
    expect(etcd.watchers).toHaveLength(1);
  });
});
