import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { firstValueFrom, of } from 'rxjs';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { FORWARDED_BY_HEADER, ForwardedAnswer } from '../common/http/forwarded-answer';
import { REQUEST_ID_HEADER } from '../common/http/request-id';
import type { AppConfig } from '../config/app-config';
import { ClusterErrorCode } from './cluster.errors';
import {
  FORWARD_MARGIN_MS,
  LEADER_CHECK_MS,
  LONG_FORWARD_TIMEOUT_MS,
  LeaderForwarding,
  LeaderOnly,
} from './leader-only';
import { Leadership, type LeaderView } from './leadership';
import type { PeerAnswer, PeerClient } from './peer-client';

class FakeLeadership extends Leadership {
  readonly mode = 'etcd' as const;
  readonly nodeId = 'node-b';
  leading = false;
  known: LeaderView | null = { nodeId: 'node-a', address: 'http://10.0.0.1:8080', since: '2026-01-01T00:00:00Z' };

  isLeader(): boolean {
    return this.leading;
  }

  leader(): LeaderView | null {
    return this.known;
  }

  onLeadingChange(): void {}
}

interface FakeRequest {
  method: string;
  url: string;
  body?: unknown;
  headers: Record<string, string>;
  id: string;
}

class Routes {
  @LeaderOnly()
  switchover(): void {}

  @LeaderOnly({ longRunning: true })
  rebuildCatalog(): void {}
}

function contextFor(request: FakeRequest, handler: () => void = Routes.prototype.switchover): ExecutionContext {
  return {
    switchToHttp: () => ({ getRequest: () => request }),
    getHandler: () => handler,
    getClass: () => Routes,
  } as unknown as ExecutionContext;
}

const APPLY_TIMEOUT_MS = 30_000;

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('LeaderForwarding (@LeaderOnly routes)', () => {
  let leadership: FakeLeadership;
  let call: jest.Mock<Promise<PeerAnswer>, [string, string, Record<string, unknown>]>;
  let next: CallHandler & { handle: jest.Mock };
  let interceptor: LeaderForwarding;
  let request: FakeRequest;

  beforeEach(() => {
    leadership = new FakeLeadership();
    call = jest.fn<Promise<PeerAnswer>, [string, string, Record<string, unknown>]>(async () => ({
      status: 202,
      headers: { 'content-type': 'application/json' },
      body: { id: 'job-1' },
    }));
    next = { handle: jest.fn(() => of('ran here')) };
    interceptor = new LeaderForwarding(
      leadership,
      { call } as unknown as PeerClient,
      { failover: { applyTimeoutMs: APPLY_TIMEOUT_MS } } as AppConfig,
      new Reflector(),
    );
    request = {
      method: 'POST',
      url: '/api/v1/failover/switchover?dryRun=false',
      body: { target: 'db2:3306' },
      headers: { authorization: 'Bearer caller' },
      id: 'req-7',
    };
  });

  it('is what @LeaderOnly() puts on a route', () => {
    expect(Reflect.getMetadata(INTERCEPTORS_METADATA, Routes.prototype.switchover)).toEqual([LeaderForwarding]);
    expect(Reflect.getMetadata(INTERCEPTORS_METADATA, Routes.prototype.rebuildCatalog)).toEqual([LeaderForwarding]);
  });

  it('runs the route on the leader, forwarding nothing', async () => {
    leadership.leading = true;
    const result = await interceptor.intercept(contextFor(request), next);
    expect(await firstValueFrom(result)).toBe('ran here');
    expect(call).not.toHaveBeenCalled();
  });

  it('forwards from a follower to the leader (same method, url, body; marked as forwarded) and raises its answer', async () => {
    const thrown = await interceptor.intercept(contextFor(request), next).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(next.handle).not.toHaveBeenCalled();
    expect(call).toHaveBeenCalledTimes(1);
    const [address, path, options] = call.mock.calls[0];
    expect(address).toBe('http://10.0.0.1:8080');
    expect(path).toBe('/api/v1/failover/switchover?dryRun=false');
    expect(options).toMatchObject({
      method: 'POST',
      body: { target: 'db2:3306' },
      headers: { [FORWARDED_BY_HEADER]: 'node-b', [REQUEST_ID_HEADER]: 'req-7' },
    });
    expect(thrown).toBeInstanceOf(ForwardedAnswer);
    expect(thrown).toEqual(new ForwardedAnswer(202, { 'content-type': 'application/json' }, { id: 'job-1' }));
  });

  it('waits for the leader as long as a switchover may take (FAILOVER_APPLY_TIMEOUT_MS + 30 s), not 10 minutes', async () => {
    await interceptor.intercept(contextFor(request), next).catch(() => undefined);
    expect(call.mock.calls[0][2].timeoutMs).toBe(APPLY_TIMEOUT_MS + FORWARD_MARGIN_MS);
    expect(APPLY_TIMEOUT_MS + FORWARD_MARGIN_MS).toBe(60_000);
  });

  it('waits up to 10 minutes for a route marked longRunning', async () => {
    await interceptor.intercept(contextFor(request, Routes.prototype.rebuildCatalog), next).catch(() => undefined);
    expect(call.mock.calls[0][2].timeoutMs).toBe(LONG_FORWARD_TIMEOUT_MS);
    expect(LONG_FORWARD_TIMEOUT_MS).toBe(10 * 60_000);
  });

  it('stops waiting as soon as this node hears of another leader (a hung leader lost its key), and says so', async () => {
    jest.useFakeTimers();
    try {
      // The hung leader: it accepted the connection and never answers; the call ends only when aborted.
      call.mockImplementation(
        (_address, _path, options) =>
          new Promise((_resolve, reject) =>
            (options.signal as AbortSignal).addEventListener('abort', () => reject(new Error('aborted'))),
          ),
      );
      const refused = refusal(interceptor.intercept(contextFor(request), next));
      await jest.advanceTimersByTimeAsync(LEADER_CHECK_MS * 3);
      leadership.known = { nodeId: 'node-c', address: 'http://10.0.0.3:8080', since: '2026-01-01T00:00:10Z' };
      await jest.advanceTimersByTimeAsync(LEADER_CHECK_MS);
      const error = await refused;
      expect(error.code).toBe(ClusterErrorCode.NoLeader);
      expect(error.retryAfterSeconds).toBe(2);
      expect(error.message).toMatch(
        /stopped waiting for the leader node-a \(http:\/\/10\.0\.0\.1:8080\): this node now hears of node-c as the leader; if it received the request it may still carry it out/,
      );
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('stops waiting when this node no longer knows of any leader (etcd out of reach)', async () => {
    jest.useFakeTimers();
    try {
      call.mockImplementation(
        (_address, _path, options) =>
          new Promise((_resolve, reject) =>
            (options.signal as AbortSignal).addEventListener('abort', () => reject(new Error('aborted'))),
          ),
      );
      const refused = refusal(interceptor.intercept(contextFor(request), next));
      leadership.known = null;
      await jest.advanceTimersByTimeAsync(LEADER_CHECK_MS);
      expect((await refused).message).toMatch(/this node no longer knows of a leader/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('passes the leader’s refusal on as it came (status, Retry-After, body)', async () => {
    call.mockResolvedValue({ status: 503, headers: { 'retry-after': '5' }, body: { code: 'DATABASE_UNAVAILABLE' } });
    const thrown = await interceptor.intercept(contextFor(request), next).catch((error: unknown) => error);
    expect(thrown).toEqual(new ForwardedAnswer(503, { 'retry-after': '5' }, { code: 'DATABASE_UNAVAILABLE' }));
  });

  it('forwards a request without a body with body undefined', async () => {
    request = { ...request, method: 'DELETE', body: undefined };
    await interceptor.intercept(contextFor(request), next).catch(() => undefined);
    expect(call.mock.calls[0][2]).toMatchObject({ method: 'DELETE', body: undefined });
  });

  async function expectNoLeader(message: RegExp): Promise<void> {
    const error = await refusal(interceptor.intercept(contextFor(request), next));
    expect(error.code).toBe(ClusterErrorCode.NoLeader);
    expect(error.code).toBe('CLUSTER_NO_LEADER');
    expect(error.kind).toBe(ErrorKind.Unavailable);
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.message).toMatch(message);
    expect(next.handle).not.toHaveBeenCalled();
  }

  it('refuses with CLUSTER_NO_LEADER when no leader is known', async () => {
    leadership.known = null;
    await expectNoLeader(/no node leads the cluster/);
    expect(call).not.toHaveBeenCalled();
  });

  it('refuses a request that was already forwarded once, instead of forwarding it in a loop', async () => {
    request.headers[FORWARDED_BY_HEADER] = 'node-c';
    await expectNoLeader(/no node leads the cluster/);
    expect(call).not.toHaveBeenCalled();
  });

  it('refuses when etcd still names this node, whose deadline has passed, instead of forwarding to itself', async () => {
    leadership.known = { nodeId: 'node-b', address: 'http://10.0.0.2:8080', since: '2026-01-01T00:00:00Z' };
    await expectNoLeader(/no node leads the cluster/);
    expect(call).not.toHaveBeenCalled();
  });

  it('refuses with CLUSTER_NO_LEADER, naming the leader, when the leader does not answer', async () => {
    call.mockRejectedValue(new Error('connect ECONNREFUSED 10.0.0.1:8080'));
    await expectNoLeader(/the leader node-a \(http:\/\/10\.0\.0\.1:8080\) did not answer: connect ECONNREFUSED/);
  });
});
