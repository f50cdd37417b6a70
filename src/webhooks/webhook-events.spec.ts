import type { AppEventMap } from '../common/events/app-events';
import { WEBHOOK_EVENT_NAMES, derivedMessageId, toWebhookEvent } from './webhook-events';

const at = new Date('2026-11-29T22:00:00.000Z');

describe('toWebhookEvent', () => {
  it('delivers the issue-18 events and the optional four, under stable public names', () => {
    expect(WEBHOOK_EVENT_NAMES.sort()).toEqual([
      'backup.failed',
      'backup.test-restore-failed',
      'cluster.leader-changed',
      'db.errant-transactions',
      'db.failover-failed',
      'db.failover-started',
      'db.failover-vetoed',
      'db.old-primary-fenced',
      'db.possible-loss',
      'db.primary-changed',
      'db.rejoined',
      'db.semi-sync-changed',
      'db.standby-problem',
    ]);
  });

  it.each([
    ['failover', 'failover.succeeded'],
    ['switchover', 'switchover.succeeded'],
  ] as const)('names a primary change of kind %s %s', (kind, type) => {
    const event: AppEventMap['db.primary-changed'] = {
      id: 'f-1',
      kind,
      epoch: 4,
      oldPrimary: 'db1:3306',
      newPrimary: 'db2:3306',
      at,
    };
    expect(toWebhookEvent('db.primary-changed', event)).toEqual({ type, data: event, key: 'f-1' });
  });

  it.each([
    [
      'db.failover-started',
      { id: 'f-2', kind: 'failover', epoch: 1, oldPrimary: 'a', reason: 'r' },
      'failover.started',
    ],
    [
      'db.failover-failed',
      { id: 'f-3', kind: 'switchover', epoch: 1, oldPrimary: 'a', step: 's', reason: 'r' },
      'switchover.failed',
    ],
    ['db.old-primary-fenced', { server: 'a', epoch: 2, killedConnections: 0 }, 'server.fenced'],
    ['db.rejoined', { server: 'a', primary: 'b', epoch: 2, method: 'replication' }, 'server.rejoined'],
    [
      'db.errant-transactions',
      { server: 'a', primary: 'b', epoch: 2, errantGtids: '0-1-5', changes: [] },
      'server.errant-transactions',
    ],
    ['backup.failed', { id: 'b1', type: 'full', code: 'X', reason: 'r' }, 'backup.failed'],
    ['backup.test-restore-failed', { id: null, reason: 'r', tables: [] }, 'backup.test-restore-failed'],
    ['db.semi-sync-changed', { primary: 'a', epoch: 2, active: false }, 'semi-sync.off'],
    ['db.standby-problem', { server: 'a', epoch: 2, problem: 'IO thread stopped', repaired: false }, 'standby.problem'],
  ] as const)('maps %s to %s', (name, payload, type) => {
    expect(toWebhookEvent(name, payload as never)?.type).toBe(type);
  });

  it('sends a leader change only from the new leader, so a cluster sends it once', () => {
    const change = { leader: 'node-b', leaderAddress: 'http://b:3000', previous: 'node-a' };
    expect(toWebhookEvent('cluster.leader-changed', { ...change, node: 'node-a' })).toBeNull();
    expect(toWebhookEvent('cluster.leader-changed', { ...change, node: 'node-c' })).toBeNull();
    expect(toWebhookEvent('cluster.leader-changed', { ...change, node: 'node-b' })?.type).toBe(
      'cluster.leader-changed',
    );
    expect(toWebhookEvent('cluster.leader-changed', { ...change, leader: null, node: 'node-b' })).toBeNull();
  });

  it('ignores events it does not deliver', () => {
    expect(toWebhookEvent('backup.succeeded', { id: 'b', type: 'full', sizeBytes: 1, durationMs: 1 })).toBeNull();
  });
});

describe('derivedMessageId', () => {
  it('is the same for the same occurrence and differs by type or key', () => {
    const id = derivedMessageId('failover.started', 'f-1');
    expect(id).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
    expect(derivedMessageId('failover.started', 'f-1')).toBe(id);
    expect(derivedMessageId('failover.succeeded', 'f-1')).not.toBe(id);
    expect(derivedMessageId('failover.started', 'f-2')).not.toBe(id);
  });
});
