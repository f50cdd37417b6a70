/**
 * A tiny admin client for a logic-ha process started with spawnApp: fetch with the admin
 * token, and polling until an answer says what the test waits for.
 */
export function adminHttp(baseUrl: () => string, adminToken: string) {
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const poll = async (path: string, done: (body: Record<string, any>) => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await api('GET', path);
      if (done(body)) return body;
      if (Date.now() > deadline) throw new Error(`${path} never reached the expected state: ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { api, poll };
}
