import { ConsecutiveBreaker, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, isRecoverableError } from 'etcd3';

/**
 * An etcd client that fails fast: every unary call has a deadline, and a failed call is
 * retried once on another member, not three times. The lease keeper must learn within a
 * fraction of the TTL that etcd is out of reach; the client's defaults (no deadline, three
 * retries) would let one call outlive the lease it is meant to renew.
 */
export function createEtcdClient(endpoints: string[], callTimeoutMs: number): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    dialTimeout: callTimeoutMs,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: {
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 1 }),
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), {
          halfOpenAfter: callTimeoutMs,
          breaker: new ConsecutiveBreaker(2),
        }),
    },
  });
}

/** The time a single etcd call may take: a third of the lease, at most 2 s. */
export function etcdCallTimeoutMs(leaseTtlMs: number): number {
  return Math.min(2000, Math.floor(leaseTtlMs / 3));
}
