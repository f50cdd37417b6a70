import { boundedCheck } from './bounded-check';

describe('boundedCheck', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('passes a prompt result through', async () => {
    const check = boundedCheck('db', 100, async () => ({ db: { status: 'up' } }));
    await expect(check()).resolves.toEqual({ db: { status: 'up' } });
  });

  it('reports down when the check hangs past the timeout', async () => {
    const check = boundedCheck('disk', 100, () => new Promise(() => undefined));
    const result = check();
    await jest.advanceTimersByTimeAsync(100);
    await expect(result).resolves.toEqual({ disk: { status: 'down', message: 'no answer within 100 ms' } });
  });

  it('reports down when the check throws', async () => {
    const check = boundedCheck('memory', 100, async () => {
      throw new Error('boom');
    });
    await expect(check()).resolves.toEqual({ memory: { status: 'down', message: 'boom' } });
  });
});
