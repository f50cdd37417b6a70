import { loadAppConfig } from './app-config.factory';
import { ConfigValidationError } from './config-validation.error';
import { endpointId } from './webhooks.config';

const CWD = '/srv/logic-ha';
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function problemsOf(env: Record<string, string>): string {
  try {
    loadAppConfig(env, CWD);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('WEBHOOK_* configuration', () => {
  it('is off by default: no endpoints, no secret, the spec schedule', () => {
    expect(loadAppConfig({}, CWD).webhooks).toEqual({
      endpoints: [],
      secret: null,
      timeoutMs: 10_000,
      retryDelaysMs: [5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      maxAgeMs: 172_800_000,
      pollIntervalMs: 1000,
    });
  });

  it('takes comma-separated URLs, the decoded secret and the timing variables', () => {
    const config = loadAppConfig(
      {
        WEBHOOK_URLS: ' https://hooks.example.com/logic-ha?token=abc , http://127.0.0.1:9000/in',
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_TIMEOUT_MS: '2500',
        WEBHOOK_RETRY_SCHEDULE: '0, 250ms,2s,1m,1h',
        WEBHOOK_MAX_AGE_MS: '60000',
        WEBHOOK_POLL_INTERVAL_MS: '50',
      },
      CWD,
    ).webhooks;
    expect(config).toEqual({
      endpoints: [
        {
          id: endpointId('https://hooks.example.com/logic-ha?token=abc'),
          url: 'https://hooks.example.com/logic-ha?token=abc',
          position: 1,
        },
        { id: endpointId('http://127.0.0.1:9000/in'), url: 'http://127.0.0.1:9000/in', position: 2 },
      ],
      secret: Buffer.alloc(32, 7),
      timeoutMs: 2500,
      retryDelaysMs: [0, 250, 2000, 60_000, 3_600_000],
      maxAgeMs: 60_000,
      pollIntervalMs: 50,
    });
    expect(config.endpoints[0].id).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each([
    ['a URL that is not one', { WEBHOOK_URLS: 'https://ok.example/x,not a url' }, /WEBHOOK_URLS: entry 2 is not a URL/],
    [
      'another scheme',
      { WEBHOOK_URLS: 'ftp://files.example/in' },
      /WEBHOOK_URLS: entry 1 must be an http:\/\/ or https:\/\/ URL/,
    ],
    ['a fragment', { WEBHOOK_URLS: 'https://x.example/in#part' }, /WEBHOOK_URLS: entry 1 must not have a #fragment/],
    ['a repeated URL', { WEBHOOK_URLS: 'https://x.example/in,https://x.example/in' }, /WEBHOOK_URLS: entry 2 repeats/],
  ])('refuses %s, naming the variable and the entry but not the URL', (_what, env, message) => {
    const problems = problemsOf({ ...env, WEBHOOK_SECRET: SECRET });
    expect(problems).toMatch(message);
    expect(problems).not.toMatch(/example|not a url/);
  });

  it('requires WEBHOOK_SECRET with WEBHOOK_URLS', () => {
    expect(problemsOf({ WEBHOOK_URLS: 'https://x.example/in' })).toMatch(
      /WEBHOOK_SECRET: is required when WEBHOOK_URLS is set/,
    );
  });

  it.each([
    ['no whsec_ prefix', Buffer.alloc(32).toString('base64'), /must start with "whsec_"/],
    ['not base64', 'whsec_not*base64!', /followed by standard base64/],
    ['too short (16 bytes)', `whsec_${Buffer.alloc(16, 1).toString('base64')}`, /24 to 64 bytes \(got 16\)/],
    ['too long (65 bytes)', `whsec_${Buffer.alloc(65, 1).toString('base64')}`, /24 to 64 bytes \(got 65\)/],
  ])('refuses a secret with %s, without echoing it', (_what, secret, message) => {
    const problems = problemsOf({ WEBHOOK_URLS: 'https://x.example/in', WEBHOOK_SECRET: secret });
    expect(problems).toMatch(new RegExp(`WEBHOOK_SECRET: .*${message.source}`));
    expect(problems).not.toContain(secret.slice(6, 20));
  });

  it.each([
    ['WEBHOOK_RETRY_SCHEDULE', '5s,soon', /WEBHOOK_RETRY_SCHEDULE: "soon" is not a duration/],
    ['WEBHOOK_TIMEOUT_MS', '10', /WEBHOOK_TIMEOUT_MS: must not be less than 100/],
    ['WEBHOOK_POLL_INTERVAL_MS', 'often', /WEBHOOK_POLL_INTERVAL_MS: /],
    ['WEBHOOK_MAX_AGE_MS', '5', /WEBHOOK_MAX_AGE_MS: must not be less than 1000/],
  ])('refuses a bad %s', (variable, value, message) => {
    expect(problemsOf({ [variable]: value })).toMatch(message);
  });
});
