import type { Etcd3, Watcher } from 'etcd3';
import type { EvictionTransport } from './broadcast-eviction-bus';

/** How long closing waits for etcd to confirm the watch's cancellation (the client is closed next anyway). */
const CANCEL_WAIT_MS = 1000;

/**
 * Evictions on one etcd key (`<prefix>/cache-evictions`): a put per eviction, and every
 * node watches the key. etcd hands a watcher every revision of the key in order, and the
 * client resumes a watch after a disconnection from the revision after the last one it saw,
 * so a node cut off for a while still gets what it missed, unless etcd compacted those
 * revisions meanwhile: then the watch is cancelled, and the node is told it missed some.
 */
export class EtcdEvictionTransport implements EvictionTransport {
  private watcher: Watcher | null = null;
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly key: string,
  ) {}

  get description(): string {
    return `etcd key ${this.key}`;
  }

  /** A plain put: the client's call deadline bounds how long an unreachable etcd can hold it. */
  async send(message: string): Promise<void> {
    await this.client.put(this.key).value(message).exec();
  }

  listen(onMessage: (message: string) => void, onMissed: (reason: string) => void): Promise<void> {
    // watcher(), not create(): create() waits for the first connection, while the client
    // itself keeps reconnecting a watcher that etcd did not answer yet.
    const watcher = this.client.watch().key(this.key).watcher();
    this.watcher = watcher;
    watcher.on('put', (kv) => onMessage(kv.value.toString()));
    // 'error' is a cancelled watch (compaction), which the client does not resume.
    watcher.on('error', (error) => {
      if (this.closed || this.watcher !== watcher) return;
      this.watcher = null;
      onMissed(error.message);
      void this.listen(onMessage, onMissed);
    });
    return new Promise((resolve) => watcher.once('connected', () => resolve()));
  }

  async close(): Promise<void> {
    this.closed = true;
    const watcher = this.watcher;
    this.watcher = null;
    if (!watcher) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      watcher.cancel().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }
}
