import { isLoopbackAddress, metricsAccessError } from './metrics-access';

const TOKEN = 'metrics-token-0123456789';

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.10.20.30', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['128.0.0.1', false],
    ['fe80::1', false],
    ['localhost', false], // a socket address is never a name
    ['', false],
    [undefined, false],
  ])('%j -> %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});

describe('metricsAccessError', () => {
  const outcome = (header: string | undefined, from: string, token: string | undefined) => {
    const error = metricsAccessError(header, from, token);
    return error ? `${error.kind} ${error.code}` : 'allowed';
  };

  it.each([
    // Without METRICS_TOKEN: loopback only, whatever the header says.
    [undefined, '127.0.0.1', undefined, 'allowed'],
    ['Bearer anything', '::1', undefined, 'allowed'],
    [undefined, '10.0.0.7', undefined, 'forbidden METRICS_LOOPBACK_ONLY'],
    [`Bearer ${TOKEN}`, '10.0.0.7', undefined, 'forbidden METRICS_LOOPBACK_ONLY'],
    // With it: the token, from anywhere, loopback included.
    [`Bearer ${TOKEN}`, '10.0.0.7', TOKEN, 'allowed'],
    [`bearer ${TOKEN}`, '127.0.0.1', TOKEN, 'allowed'],
    [undefined, '127.0.0.1', TOKEN, 'unauthorized AUTHENTICATION_REQUIRED'],
    [`Basic ${TOKEN}`, '127.0.0.1', TOKEN, 'unauthorized AUTHENTICATION_REQUIRED'],
    [TOKEN, '127.0.0.1', TOKEN, 'unauthorized AUTHENTICATION_REQUIRED'],
    ['Bearer', '127.0.0.1', TOKEN, 'unauthorized AUTHENTICATION_REQUIRED'],
    ['Bearer wrong', '127.0.0.1', TOKEN, 'unauthorized INVALID_TOKEN'],
    [`Bearer ${TOKEN}x`, '10.0.0.7', TOKEN, 'unauthorized INVALID_TOKEN'],
  ])('%j from %s with METRICS_TOKEN %j -> %s', (header, from, token, expected) => {
    expect(outcome(header, from, token)).toBe(expected);
  });

  it('says which scheme to use when another one was sent, and never echoes the token', () => {
    const error = metricsAccessError(`Basic ${TOKEN}`, '127.0.0.1', TOKEN)!;
    expect(error.message).toMatch(/Bearer scheme/);
    expect(error.message).not.toContain(TOKEN);
  });

  it('names the address a refused client came from and how to open the route', () => {
    expect(metricsAccessError(undefined, '10.0.0.7', undefined)!.message).toMatch(
      /came from 10\.0\.0\.7.*set METRICS_TOKEN/,
    );
  });
});
