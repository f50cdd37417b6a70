import type { LogicConfig } from '../config-answer';

/** Every way asking a host can fail; each is named in errors and logs. */
export type ConfigHostFailure =
  | 'unreachable' // connection refused, reset, DNS
  | 'timeout' // no complete answer within CONFIG_HOST_TIMEOUT_MS
  | 'http-status' // a non-2xx answer
  | 'invalid-json' // a 2xx answer that is not JSON
  | 'invalid-answer' // JSON without a `data` object (or null)
  | 'breaker-open'; // not asked: the circuit breaker is open after repeated failures

export class ConfigHostError extends Error {
  constructor(
    readonly failure: ConfigHostFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ConfigHostError';
  }
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'none';

/**
 * A config as a host holds it, with the version the host recorded for it (`logic.version`
 * for the latest, the asked version from `logic_bak`); null when the host says none. A
 * config need not name its own version, so without this a latest read could not say
 * which version it got.
 */
export interface HostConfig {
  config: LogicConfig;
  version: string | null;
}

/**
 * How a logic-ha host tells its version beside the contract's `{ "data": <config> }`: a
 * header, so the body stays exactly what logic-solution's IDE host sends.
 */
export const LOGIC_VERSION_HEADER = 'x-logic-version';

/** Where configs come from online: an upstream logic-ha/IDE over HTTP, or this node's database. */
export abstract class ConfigHost {
  /** `host` for an upstream, `db` for this node's database: the answer's source. */
  abstract readonly source: 'host' | 'db';
  abstract readonly description: string;
  /** The config, or null when the host says it has none (`data: null`). */
  abstract fetch(logicId: string, version?: string): Promise<HostConfig | null>;
  abstract breakerState(): BreakerState;
}
