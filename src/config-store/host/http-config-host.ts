import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  RetryPolicy,
  circuitBreaker,
  handleWhen,
  retry,
} from 'cockatiel';
import { Agent, request } from 'undici';
import type { ConfigStoreConfig } from '../../config/app-config';
import { LogicConfig, isConfigObject } from '../config-answer';
import { VERSION_PATTERN } from '../logic-id';
import { BreakerState, ConfigHost, ConfigHostError, HostConfig, LOGIC_VERSION_HEADER } from './config-host';

const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/** Worth another try soon: the connection failed or the host said 5xx. A timeout is not retried (it already cost the budget). */
const isTransient = (error: Error) =>
  error instanceof ConfigHostError &&
  (error.failure === 'unreachable' || (error.failure === 'http-status' && (error.status ?? 0) >= 500));

/**
 * `GET {host}/api/ide/logic/{id}/config[/{version}]` with undici: a per-request timeout,
 * a bounded retry with jittered backoff for transient failures, and a circuit breaker
 * (cockatiel) that, after CONFIG_HOST_BREAKER_FAILURES failed reads in a row, fails
 * reads at once until a half-open probe succeeds: a dead host then costs almost nothing.
 */
@Injectable()
export class HttpConfigHost extends ConfigHost implements OnModuleDestroy {
  readonly source = 'host' as const;
  private readonly logger = new Logger('ConfigHost');
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
  private readonly retryPolicy: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;

  constructor(private readonly config: ConfigStoreConfig) {
    super();
    this.retryPolicy = retry(handleWhen(isTransient), {
      maxAttempts: config.hostRetries,
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
    });
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof ConfigHostError),
      {
        halfOpenAfter: config.breakerHalfOpenMs,
        breaker: new ConsecutiveBreaker(config.breakerFailures),
      },
    );
    this.breaker.onStateChange((state) =>
      this.logger.warn({ msg: 'config host circuit breaker', state: BREAKER_STATES[state] }),
    );
  }

  get description(): string {
    return this.config.hostUrl!;
  }

  breakerState(): BreakerState {
    return BREAKER_STATES[this.breaker.state];
  }

  async fetch(logicId: string, version?: string): Promise<HostConfig | null> {
    try {
      return await this.breaker.execute(() => this.retryPolicy.execute(() => this.fetchOnce(logicId, version)));
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ConfigHostError('breaker-open', `not asked: the circuit breaker for ${this.description} is open`);
      }
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  private url(logicId: string, version?: string): string {
    const path = `/api/ide/logic/${encodeURIComponent(logicId)}/config${version ? `/${encodeURIComponent(version)}` : ''}`;
    return `${this.description}${path}`;
  }

  private async fetchOnce(logicId: string, version?: string): Promise<HostConfig | null> {
    const url = this.url(logicId, version);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.config.hostToken) headers.authorization = `Bearer ${this.config.hostToken}`;
    let body: string;
    let status: number;
    let versionHeader: unknown;
    try {
      const response = await request(url, {
        dispatcher: this.agent,
        headers,
        signal: AbortSignal.timeout(this.config.hostTimeoutMs),
        headersTimeout: this.config.hostTimeoutMs,
        bodyTimeout: this.config.hostTimeoutMs,
      });
      status = response.statusCode;
      versionHeader = response.headers[LOGIC_VERSION_HEADER];
      body = await response.body.text();
    } catch (error) {
      throw this.transportError(error, url);
    }
    if (status < 200 || status > 299) {
      throw new ConfigHostError('http-status', `${url} answered HTTP ${status}`, status);
    }
    const config = parseHostAnswer(body, url);
    return config && { config, version: hostVersion(versionHeader) };
  }

  private transportError(error: unknown, url: string): ConfigHostError {
    const { name, code, message } = error as { name?: string; code?: string; message?: string };
    const timedOut = name === 'TimeoutError' || name === 'AbortError' || /TIMEOUT/.test(code ?? '');
    return timedOut
      ? new ConfigHostError('timeout', `${url} gave no answer within ${this.config.hostTimeoutMs} ms`)
      : new ConfigHostError('unreachable', `${url} is unreachable: ${code ?? message ?? String(error)}`);
  }
}

/** A logic-ha host's X-Logic-Version; logic-solution's host sends none, and anything malformed counts as none. */
function hostVersion(header: unknown): string | null {
  return typeof header === 'string' && VERSION_PATTERN.test(header) ? header : null;
}

/** `{ "data": <config> }`; `data: null` means the host has no such config. */
export function parseHostAnswer(body: string, url: string): LogicConfig | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ConfigHostError('invalid-json', `${url} answered with something that is not JSON (${body.length} bytes)`);
  }
  if (!isConfigObject(parsed) || !('data' in parsed)) {
    throw new ConfigHostError('invalid-answer', `${url} answered JSON without a "data" field`);
  }
  if (parsed.data === null) return null;
  if (!isConfigObject(parsed.data))
    throw new ConfigHostError('invalid-answer', `${url} answered a "data" that is not an object`);
  return parsed.data;
}
