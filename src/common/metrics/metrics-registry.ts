import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

/** Every name logic-ha exposes starts with this, like `patroni_` or `mysql_` at the peers. */
export const METRIC_PREFIX = 'logic_ha_';

type Config<C> = Omit<C, 'registers'>;

/** How long one scrape-time read may take before its metric is left without samples for that scrape. */
export const DEFAULT_READ_TIMEOUT_MS = 2_000;

/** Optional settings of the registry (tests shorten the read timeout). */
export interface MetricsRegistryOptions {
  readTimeoutMs?: number;
}
export const METRICS_REGISTRY_OPTIONS = Symbol('METRICS_REGISTRY_OPTIONS');

/** One sample of a gauge read at scrape time; labels are omitted for a gauge without any. */
export interface Sample<L extends string = string> {
  labels?: Partial<Record<L, string>>;
  value: number;
}

export interface SampledGaugeConfiguration<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** The samples now; none (or undefined) leaves the gauge without a sample, so `absent()` sees it. */
  read: () => Sample<L>[] | undefined | Promise<Sample<L>[] | undefined>;
}

/**
 * The one Prometheus registry of this process (never prom-client's global one, so two apps
 * in one test process do not share samples). Each feature defines its own metrics here,
 * beside the code that knows their meaning; GET /metrics only serialises the registry.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');
  private readonly readTimeoutMs: number;
  private readonly collectErrors = this.counter({
    name: 'logic_ha_metrics_collect_errors_total',
    help: 'Scrape-time reads that failed or timed out, by collector (the metric had no samples in that scrape); shown from the next scrape',
    labelNames: ['collector'],
  });

  constructor(@Optional() @Inject(METRICS_REGISTRY_OPTIONS) options?: MetricsRegistryOptions) {
    this.readTimeoutMs = options?.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  }

  counter<L extends string>(config: Config<CounterConfiguration<L>>): Counter<L> {
    return new Counter({ ...this.checked(config), registers: [this.registry] });
  }

  gauge<L extends string>(config: Config<GaugeConfiguration<L>>): Gauge<L> {
    return new Gauge({ ...this.checked(config), registers: [this.registry] });
  }

  histogram<L extends string>(config: Config<HistogramConfiguration<L>>): Histogram<L> {
    return new Histogram({ ...this.checked(config), registers: [this.registry] });
  }

  /**
   * A gauge whose samples are read when Prometheus scrapes, from the state its feature
   * already keeps: nothing to keep in step between scrapes. Every scrape starts afresh, so
   * a label set that disappeared (a server removed) disappears from the output too.
   */
  sampledGauge<L extends string>(config: SampledGaugeConfiguration<L>): Gauge<L> {
    const { read, ...rest } = config;
    const labelled = (rest.labelNames ?? []).length > 0;
    const guarded = this.guarded(config.name, read);
    return this.gauge<L>({
      ...rest,
      labelNames: rest.labelNames ?? [],
      async collect() {
        const samples = await guarded();
        this.reset();
        // reset() leaves a label-less gauge at 0: remove that default when there is no sample.
        if (!samples?.length) {
          if (!labelled) this.remove();
          return;
        }
        for (const sample of samples)
          this.set((sample.labels ?? {}) as Partial<Record<L, string | number>>, sample.value);
      },
    });
  }

  /**
   * A counter whose totals a feature already keeps (the cache's hits): read at scrape time
   * instead of counted twice. The totals must only grow, as Prometheus expects of `_total`.
   */
  sampledCounter<L extends string>(config: SampledGaugeConfiguration<L>): Counter<L> {
    const { read, ...rest } = config;
    const labelled = (rest.labelNames ?? []).length > 0;
    const guarded = this.guarded(config.name, read);
    return this.counter<L>({
      ...rest,
      labelNames: rest.labelNames ?? [],
      async collect() {
        const samples = await guarded();
        this.reset();
        // A failed read shows no sample rather than a 0 (Prometheus would take a 0 for a counter reset).
        if (!samples && !labelled) this.remove();
        for (const sample of samples ?? [])
          this.inc((sample.labels ?? {}) as Partial<Record<L, string | number>>, sample.value);
      },
    });
  }

  /**
   * The one guard every scrape-time read goes through. prom-client's registry.metrics()
   * rejects as a whole when one collect() throws, and waits for every collect(): an app
   * database that is down or hung would take /metrics down with it, exactly when
   * LogicHaPrimaryDown must fire. So a read that throws or outlasts the timeout leaves its
   * metric without samples for this scrape, and is counted and logged; it never rejects.
   */
  private guarded<T>(collector: string, read: () => T | Promise<T>): () => Promise<T | undefined> {
    return async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`read timed out after ${this.readTimeoutMs} ms`)),
          this.readTimeoutMs,
        );
        timer.unref();
      });
      try {
        return await Promise.race([Promise.resolve().then(read), timeout]);
      } catch (error) {
        this.collectFailed(collector, error);
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    };
  }

  /**
   * Counts and logs a source a collector could not read (the database is away): the scrape
   * still answers, with that collector's gauges empty, rather than failing as a whole.
   */
  collectFailed(collector: string, error: unknown): void {
    this.collectErrors.inc({ collector });
    this.logger.warn({ msg: 'a metrics collector could not read its source', collector, err: String(error) });
  }

  /** The Prometheus text exposition of every metric; collect() callbacks run now. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private checked<C extends { name: string }>(config: C): C {
    if (!config.name.startsWith(METRIC_PREFIX))
      throw new Error(`metric ${config.name} must start with ${METRIC_PREFIX}`);
    return config;
  }
}
