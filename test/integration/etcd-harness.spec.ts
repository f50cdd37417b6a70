import { existsSync } from 'node:fs';
import type { Etcd3 } from 'etcd3';
import { EtcdCluster, type EtcdProxies, etcdBehindProxies } from '../support/etcd';

/** A put that gives up after `ms`: without a deadline an etcd3 call can hang for good (a cut network). */
async function putWithin(client: Etcd3, key: string, ms: number): Promise<void> {
  await client
    .put(key)
    .value(new Date().toISOString())
    .options({ deadline: Date.now() + ms });
}

/**
 * Retries a write until it succeeds. After failed calls etcd3's default per-host circuit
 * breakers stay open for 5 s: the same client answers BrokenCircuitError at once, even with
 * etcd healthy again, so "writes again" means "within the breaker's 5 s, plus a margin".
 */
async function writesAgainWithin(client: Etcd3, key: string, ms: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await putWithin(client, key, 1000);
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > ms) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('private etcd cluster (test harness)', () => {
  let etcd: EtcdCluster;
  let direct: Etcd3;

  beforeAll(async () => {
    etcd = await EtcdCluster.start({ members: 3 });
    direct = etcd.client();
    console.log(
      `etcd 3 members: client ports accepting after ${etcd.startup.listeningMs} ms, ` +
        `first quorum write after ${etcd.startup.firstQuorumWriteMs} ms`,
    );
  });

  afterAll(async () => {
    await etcd?.destroy();
  });

  it('runs three members on private loopback ports and takes a quorum write', async () => {
    expect(etcd.endpoints).toHaveLength(3);
    for (const url of etcd.endpoints) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toMatch(/:(2379|2380)$/);
    }
    expect(etcd.endpointsEnv).toBe(etcd.endpoints.join(','));
    await putWithin(direct, '/t/quorum', 2000);
    expect(await direct.get('/t/quorum').string()).not.toBeNull();
    expect(await etcd.leaderIndex()).toEqual(expect.any(Number));
  });

  it('keeps taking writes with one member (the raft leader) killed, and takes it back', async () => {
    const leader = await etcd.leaderIndex();
    expect(leader).toBeDefined();
    await etcd.member(leader!).kill();
    // A proposal the dead leader swallowed waits out etcd's request timeout (5 s + 2 x 300 ms)
    // before the client retries elsewhere: the first write may take that long, not longer.
    await putWithin(direct, '/t/one-down', 10_000);
    await etcd.member(leader!).start();
    await etcd.waitHealthy();
    expect(etcd.members.every((member) => member.running)).toBe(true);
  });

  it('refuses writes with two of three members stopped, and takes them again once they are back', async () => {
    await etcd.member(1).stop();
    await etcd.member(2).stop();
    await expect(putWithin(direct, '/t/no-quorum', 1500)).rejects.toThrow();
    await etcd.member(1).start();
    await etcd.member(2).start();
    await etcd.waitHealthy();
    await writesAgainWithin(direct, '/t/quorum-back', 8000);
  });

  it('keeps taking writes with one member paused, and after it resumes', async () => {
    const leader = (await etcd.leaderIndex()) ?? 0;
    const follower = etcd.member((leader + 1) % 3);
    follower.pause();
    try {
      // Retried: the client's channel to a member restarted by the previous test may still be re-resolving.
      await writesAgainWithin(direct, '/t/paused', 10_000);
    } finally {
      follower.resume();
    }
    await etcd.waitHealthy();
  });

  describe('one client behind proxies', () => {
    let road: EtcdProxies;
    let proxied: Etcd3;

    beforeAll(async () => {
      road = await etcdBehindProxies(etcd);
      proxied = etcd.client({ hosts: road.endpoints });
    });

    afterAll(async () => {
      await road?.stop();
    });

    it('is cut off from every member while a direct client still writes, and reconnects after heal', async () => {
      expect(road.endpoints).toHaveLength(3);
      expect(road.endpoints).not.toEqual(etcd.endpoints);
      await putWithin(proxied, '/t/proxied', 2000);
      road.cut();
      await expect(putWithin(proxied, '/t/proxied-cut', 1000)).rejects.toThrow(/deadline/i);
      await putWithin(direct, '/t/direct-during-cut', 2000);
      road.heal();
      await writesAgainWithin(proxied, '/t/proxied-healed', 8000);
      expect(await proxied.get('/t/direct-during-cut').string()).not.toBeNull();
    });
  });

  it('destroy() kills every member and removes the data dirs, and may be called twice', async () => {
    const single = await EtcdCluster.start({ members: 1 });
    const pid = single.member(0).pid;
    expect(alive(pid)).toBe(true);
    await putWithin(single.client(), '/t/single', 2000);
    await single.destroy();
    await single.destroy();
    expect(alive(pid)).toBe(false);
    expect(existsSync(single.baseDir)).toBe(false);
  });
});
