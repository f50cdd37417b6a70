import { createHash } from 'node:crypto';
import type { AppEventMap, AppEventName } from '../common/events/app-events';

/** One event as receivers see it: a stable public type, its data, and what makes it unique. */
export interface WebhookEvent {
  type: string;
  data: object;
  /**
   * Set when the event names its occurrence (a failover id, a server and epoch): the message
   * id is derived from it, so the same occurrence reported twice (two nodes, a repeat) is
   * stored, and delivered, once. Absent: a random id.
   */
  key?: string;
}

type Mapper<K extends AppEventName> = (payload: AppEventMap[K]) => WebhookEvent | null;

/**
 * The app events delivered as webhooks, and their public type names. The names are a
 * contract with receivers (docs/webhooks.md): add new ones, never rename.
 */
export const WEBHOOK_EVENT_MAPPERS: { [K in AppEventName]?: Mapper<K> } = {
  'db.failover-started': (e) => ({ type: `${e.kind}.started`, data: e, key: e.id }),
  'db.primary-changed': (e) => ({ type: `${e.kind}.succeeded`, data: e, key: e.id }),
  'db.failover-failed': (e) => ({ type: `${e.kind}.failed`, data: e, key: e.id }),
  'db.failover-vetoed': (e) => ({
    type: 'failover.vetoed',
    data: e,
    key: `${e.primary}|${e.epoch}|${new Date(e.at).toISOString()}`,
  }),
  'db.possible-loss': (e) => ({ type: 'failover.possible-loss', data: e, key: e.id }),
  'db.old-primary-fenced': (e) => ({ type: 'server.fenced', data: e, key: `${e.server}|${e.epoch}` }),
  'db.rejoined': (e) => ({ type: 'server.rejoined', data: e, key: `${e.server}|${e.epoch}|${e.method}` }),
  'db.errant-transactions': (e) => ({
    type: 'server.errant-transactions',
    data: e,
    key: `${e.server}|${e.epoch}|${e.errantGtids}`,
  }),
  // Reported once per server, epoch and problem: a monitor that sees it on every heartbeat does not flood receivers.
  'db.standby-problem': (e) => ({
    type: 'standby.problem',
    data: e,
    key: `${e.server}|${e.epoch}|${e.problem}|${e.repaired}`,
  }),
  'db.semi-sync-changed': (e) => ({
    type: e.active ? 'semi-sync.on' : 'semi-sync.off',
    data: e,
    key: `${e.primary}|${e.epoch}|${e.active}`,
  }),
  'backup.failed': (e) => ({ type: 'backup.failed', data: e, key: e.id }),
  'backup.test-restore-failed': (e) => ({ type: 'backup.test-restore-failed', data: e }),
  // Every node reports a leader change it hears of; only the new leader's report is sent, so a cluster sends it once.
  'cluster.leader-changed': (e) =>
    e.leader !== null && e.leader === e.node ? { type: 'cluster.leader-changed', data: e } : null,
};

export const WEBHOOK_EVENT_NAMES = Object.keys(WEBHOOK_EVENT_MAPPERS) as AppEventName[];

/** The webhook for an app event, or null when that event (or this occurrence of it) is not delivered. */
export function toWebhookEvent<K extends AppEventName>(name: K, payload: AppEventMap[K]): WebhookEvent | null {
  const mapper = WEBHOOK_EVENT_MAPPERS[name];
  return mapper ? mapper(payload) : null;
}

/** `msg_` + 32 base64url characters of sha256(type, key): the same occurrence always gets the same id. */
export function derivedMessageId(type: string, key: string): string {
  return `msg_${createHash('sha256').update(`${type}\n${key}`).digest('base64url').slice(0, 32)}`;
}
