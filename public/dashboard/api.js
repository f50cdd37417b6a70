// The dashboard's only way to the server: every request carries the admin token as a
// header (never in a URL), and the event stream is read with fetch for the same reason
// (EventSource cannot send headers).
const TOKEN_KEY = 'logic-ha.admin-token';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  save: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** JSON from a route; an error answer becomes an ApiError with the server's message. */
export async function api(path, { method = 'GET', body, token = session.token() } = {}) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text ? safeJson(text) : null;
  if (!response.ok) throw new ApiError(response.status, messageOf(json) ?? `${response.status} ${response.statusText}`);
  return json;
}

/** The same, but a missing route or feature (404, 501, 503) is null instead of an error. */
export async function optional(path) {
  try {
    return await api(path);
  } catch (error) {
    if (error instanceof ApiError && [404, 501, 503].includes(error.status)) return null;
    throw error;
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function messageOf(json) {
  if (!json) return null;
  const message = Array.isArray(json.message) ? json.message.join('; ') : json.message;
  return [json.code, message].filter(Boolean).join(': ') || null;
}

/**
 * Follows GET /api/v1/events: calls onEvent(type, data) per event and onState('live' |
 * 'reconnecting' | 'off'); reconnects after a drop until stop() is called.
 */
export function followEvents({ onEvent, onState }) {
  let controller = new AbortController();
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const response = await fetch('/api/v1/events', {
          headers: { authorization: `Bearer ${session.token()}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
        onState('live');
        await readStream(response.body, onEvent);
      } catch {
        if (stopped) break;
      }
      onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      controller = new AbortController();
    }
    onState('off');
  };
  void run();
  return {
    stop() {
      stopped = true;
      controller.abort();
    },
  };
}

/** The server sends a keepalive every 15 s: a stream silent for longer is dead (a half-open connection). */
const SILENCE_MS = 45_000;

async function readStream(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    let timer;
    const silence = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('event stream silent')), SILENCE_MS);
    });
    const { value, done } = await Promise.race([reader.read(), silence]).finally(() => clearTimeout(timer));
    if (done) return;
    // A proxy may re-frame the stream with CRLF line ends.
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      dispatch(buffer.slice(0, end), onEvent);
      buffer = buffer.slice(end + 2);
    }
  }
}

function dispatch(block, onEvent) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trim());
  }
  if (data.length > 0) onEvent(type, safeJson(data.join('\n')));
}
