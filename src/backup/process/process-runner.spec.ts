import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ProcessRunner, type RunningProcess, withChildren } from './process-runner';

function isAlive(pid: number | undefined): boolean {
  try {
    process.kill(pid!, 0);
    return true;
  } catch {
    return false;
  }
}

/** A sink that accepts `limit` bytes, then fails as a full disk does. */
function failingSink(limit: number): Writable {
  let seen = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > limit ? Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }) : null);
    },
  });
}

describe('ProcessRunner', () => {
  const runner = new ProcessRunner();
  let child: RunningProcess | null = null;
  afterEach(async () => {
    await child?.stop();
    child = null;
  });

  it('a failed output pipeline ends the child that feeds it before the error reaches the caller', async () => {
    // `yes` writes forever: once the sink fails nobody reads its pipe, and it blocks, as mariadb-dump did.
    child = runner.start('yes', ['logic-ha']);
    const { pid } = child;
    const work = pipeline(child.stdout, new PassThrough(), failingSink(256 * 1024));
    await expect(withChildren([child], work)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(isAlive(pid)).toBe(false);
  });

  it('a child that fails ends the others of the same pipeline', async () => {
    const failing = runner.start('sh', ['-c', 'exit 3']);
    child = runner.start('sleep', ['30']);
    const { pid } = child;
    await expect(withChildren([failing, child], Promise.resolve())).rejects.toThrow('exited with code 3');
    expect(isAlive(pid)).toBe(false);
  });

  it('returns the work result when everything succeeds, and stop() after exit resolves at once', async () => {
    child = runner.start('sh', ['-c', 'echo done']);
    const chunks: Buffer[] = [];
    const drained = pipeline(
      child.stdout,
      new Writable({
        write(chunk: Buffer, _e, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
    ).then(() => 'drained');
    await expect(withChildren([child], drained)).resolves.toBe('drained');
    expect(Buffer.concat(chunks).toString()).toBe('done\n');
    await expect(child.stop()).resolves.toBeUndefined();
  });

  it('stop() of a child that could not start resolves', async () => {
    child = runner.start('/nonexistent/logic-ha-tool', []);
    await expect(child.finished).rejects.toThrow('could not start');
    await expect(child.stop()).resolves.toBeUndefined();
  });
});

describe('withChildren reports the cause, not the consequence', () => {
  const runner = new ProcessRunner();

  it('a pipeline that fails while its child is being stopped reports the pipeline error, not the kill', async () => {
    const child = runner.start('sleep', ['30']);
    // The storage failed; its clean-up (a hook) stops the child before the error reaches withChildren.
    const work = (async () => {
      await child.stop();
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    })();
    await expect(withChildren([child], work)).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('a child that fails on its own while the pipeline succeeds reports the child', async () => {
    const child = runner.start('sh', ['-c', 'echo partial; exit 2']);
    const work = pipeline(child.stdout, new PassThrough().resume());
    await expect(withChildren([child], work)).rejects.toThrow('exited with code 2');
  });
});
