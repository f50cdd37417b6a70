/** Which hook: the variable that names its command. */
export type HookName = 'FAILOVER_PRE_HOOK' | 'FAILOVER_POST_HOOK' | 'FAILOVER_FAILED_HOOK';

/** What a hook is told, as JSON on its stdin and as LOGIC_HA_* variables. */
export interface HookEvent {
  /** pre-failover: an automatic failover is about to start; post-failover / failover-failed: one ended. */
  event: 'pre-failover' | 'post-failover' | 'failover-failed';
  kind: 'failover' | 'switchover';
  /** The failover's id; null before it starts (pre-failover). */
  failoverId: string | null;
  oldPrimary: string;
  /** null before the candidate is chosen (pre-failover) and when nothing was promoted. */
  newPrimary: string | null;
  /** The epoch the topology has at that moment (after the change for post-failover). */
  epoch: number;
  /** Why the failover starts (pre), or why it failed (failed); null for post-failover. */
  reason: string | null;
  /** The step a failed failover stopped at; null otherwise. */
  step: string | null;
  /** This node's id in cluster mode; null on a single node. */
  clusterNode: string | null;
  at: string;
}

/**
 * What a hook inherits from logic-ha's own environment: enough to find programs and write a
 * temporary file, nothing else. DB_*, ADMIN_TOKEN, WEBHOOK_SECRET, S3 keys and the like
 * never reach a hook; one that needs a secret reads it itself.
 */
export const INHERITED_VARIABLES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const VARIABLES: Record<string, keyof HookEvent> = {
  LOGIC_HA_EVENT: 'event',
  LOGIC_HA_KIND: 'kind',
  LOGIC_HA_FAILOVER_ID: 'failoverId',
  LOGIC_HA_OLD_PRIMARY: 'oldPrimary',
  LOGIC_HA_NEW_PRIMARY: 'newPrimary',
  LOGIC_HA_EPOCH: 'epoch',
  LOGIC_HA_REASON: 'reason',
  LOGIC_HA_STEP: 'step',
  LOGIC_HA_CLUSTER_NODE: 'clusterNode',
  LOGIC_HA_AT: 'at',
};

/** The hook's whole environment: the inherited few, then LOGIC_HA_* (an absent value is an empty string). */
export function hookEnvironment(
  hook: HookName,
  event: HookEvent,
  own: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_VARIABLES) if (own[name] !== undefined) env[name] = own[name];
  env.PATH ??= DEFAULT_PATH;
  env.LOGIC_HA_HOOK = hook;
  for (const [variable, field] of Object.entries(VARIABLES)) env[variable] = String(event[field] ?? '');
  return env;
}
