export interface ServerSentEvent {
  type: string;
  id?: string;
  data: Record<string, any>;
}

/**
 * Reads GET /api/v1/events as a real client does (fetch, streaming body) and keeps every
 * event, so a test can wait for one.
 */
export async function openEventStream(url: string, token: string) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`event stream answered ${response.status}`);
  const events: ServerSentEvent[] = [];
  const contentType = response.headers.get('content-type') ?? '';
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
          );
          if (fields.data !== undefined)
            events.push({ type: fields.event ?? 'message', id: fields.id, data: JSON.parse(fields.data) });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  const waitFor = async (type: string, timeoutMs = 30_000, where: (e: ServerSentEvent) => boolean = () => true) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find((event) => event.type === type && where(event));
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no ${type} event within ${timeoutMs} ms; got ${events.map((e) => e.type).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { events, contentType, waitFor, close: () => controller.abort() };
}
