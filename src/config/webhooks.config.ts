import { createHash } from 'node:crypto';
import type { WebhookEndpointConfig, WebhooksConfig } from './app-config';
import type { ConfigProblem } from './config-validation.error';
import type { EnvironmentSchema } from './environment.schema';

/** The Standard Webhooks schedule: after the first (immediate) attempt, wait 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';
export const WEBHOOK_DEFAULTS = {
  WEBHOOK_TIMEOUT_MS: 10_000,
  // A little over the default schedule's 27 h 35 min: the attempts, not the age, end a default run.
  WEBHOOK_MAX_AGE_MS: 48 * 3600 * 1000,
  WEBHOOK_POLL_INTERVAL_MS: 1000,
} as const;

const SECRET_PREFIX = 'whsec_';
/** The spec's bounds on the decoded secret. */
const SECRET_MIN_BYTES = 24;
const SECRET_MAX_BYTES = 64;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * WEBHOOK_* validated at start: a node told to notify receivers must not start with a URL it
 * cannot post to, or without the secret that lets receivers trust what it sends. URLs may
 * carry a receiver's token in their path or query, so messages name an entry by position only.
 */
export function loadWebhooks(schema: EnvironmentSchema): { config: WebhooksConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const endpoints = parseEndpoints(schema.WEBHOOK_URLS ?? '', problems);
  const secret = schema.WEBHOOK_SECRET === undefined ? null : parseSecret(schema.WEBHOOK_SECRET, problems);
  if (endpoints.length > 0 && schema.WEBHOOK_SECRET === undefined)
    problems.push({
      variable: 'WEBHOOK_SECRET',
      reason: 'is required when WEBHOOK_URLS is set: receivers verify every delivery with it',
    });
  const retryDelaysMs = parseSchedule(schema.WEBHOOK_RETRY_SCHEDULE ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE, problems);
  return {
    config: {
      endpoints,
      secret,
      timeoutMs: schema.WEBHOOK_TIMEOUT_MS ?? WEBHOOK_DEFAULTS.WEBHOOK_TIMEOUT_MS,
      retryDelaysMs,
      maxAgeMs: schema.WEBHOOK_MAX_AGE_MS ?? WEBHOOK_DEFAULTS.WEBHOOK_MAX_AGE_MS,
      pollIntervalMs: schema.WEBHOOK_POLL_INTERVAL_MS ?? WEBHOOK_DEFAULTS.WEBHOOK_POLL_INTERVAL_MS,
    },
    problems,
  };
}

function parseEndpoints(list: string, problems: ConfigProblem[]): WebhookEndpointConfig[] {
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const endpoints: WebhookEndpointConfig[] = [];
  entries.forEach((url, index) => {
    const position = index + 1;
    const problem = urlProblem(url);
    if (problem) problems.push({ variable: 'WEBHOOK_URLS', reason: `entry ${position} ${problem}` });
    else if (endpoints.some((e) => e.url === url))
      problems.push({ variable: 'WEBHOOK_URLS', reason: `entry ${position} repeats an earlier entry` });
    else endpoints.push({ id: endpointId(url), url, position });
  });
  return endpoints;
}

function urlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL (expected http://host[:port]/path or https://...)';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (!parsed.hostname) return 'has no host';
  if (parsed.hash) return 'must not have a #fragment (it is never sent)';
  return null;
}

/** Stable across restarts and nodes, and reveals nothing of a token in the URL: the delivery rows' endpoint key. */
export function endpointId(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

function parseSecret(value: string, problems: ConfigProblem[]): Buffer | null {
  const problem = (reason: string) => {
    problems.push({ variable: 'WEBHOOK_SECRET', reason });
    return null;
  };
  if (!value.startsWith(SECRET_PREFIX)) return problem(`must start with "${SECRET_PREFIX}" (whsec_<base64>)`);
  const encoded = value.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0)
    return problem(`must be "${SECRET_PREFIX}" followed by standard base64`);
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < SECRET_MIN_BYTES || bytes.length > SECRET_MAX_BYTES)
    return problem(
      `must decode to ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes (got ${bytes.length}); ` +
        `generate one with: echo "whsec_$(openssl rand -base64 32)"`,
    );
  return bytes;
}

/** `5s,5m,30m,2h` or `0,100ms,200ms`: the waits after each failed attempt; their count + 1 is the attempt cap. */
function parseSchedule(list: string, problems: ConfigProblem[]): number[] {
  const delays: number[] = [];
  for (const entry of list.split(',').map((e) => e.trim())) {
    const match = /^(\d{1,9})(ms|s|m|h)?$/.exec(entry);
    if (!match) {
      problems.push({
        variable: 'WEBHOOK_RETRY_SCHEDULE',
        reason: `"${entry}" is not a duration: use a number with ms, s, m or h, comma-separated (e.g. ${DEFAULT_WEBHOOK_RETRY_SCHEDULE})`,
      });
      continue;
    }
    delays.push(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']);
  }
  if (delays.length > 50)
    problems.push({ variable: 'WEBHOOK_RETRY_SCHEDULE', reason: `has ${delays.length} entries; at most 50` });
  return delays;
}
