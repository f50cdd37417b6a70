import { createHash } from 'node:crypto';

/** The part of an SDK command this needs: its own middleware stack. */
interface WithMiddleware {
  middlewareStack: { add(middleware: never, options: { step: 'build'; name: string; override: boolean }): void };
}

/** What the build step hands on: an HTTP request whose body is already serialized. */
type BuildArgs = { request: { headers?: Record<string, string>; body?: unknown } };

/**
 * Adds a Content-MD5 header to the command's request. S3 requires it (or a flexible
 * checksum) on DeleteObjects; the SDK sends only the flexible checksum, and then only in
 * `when_supported` mode, which older MinIO and Ceph RGW reject with MissingContentMD5.
 * Runs at the build step, so the header is signed with the rest.
 */
export function withContentMd5<C extends WithMiddleware>(command: C): C {
  const middleware =
    (next: (args: BuildArgs) => Promise<unknown>) =>
    (args: BuildArgs): Promise<unknown> => {
      const { request } = args;
      const body = request.body;
      if (request.headers && (typeof body === 'string' || ArrayBuffer.isView(body)))
        request.headers['content-md5'] = createHash('md5')
          .update(typeof body === 'string' ? body : new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
          .digest('base64');
      return next(args);
    };
  command.middlewareStack.add(middleware as never, { step: 'build', name: 'logicHaContentMd5', override: true });
  return command;
}
