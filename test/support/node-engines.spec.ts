import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { satisfies } from 'semver';

/** The oldest Node the project supports (package.json "engines"). */
const OLDEST_NODE = '20.19.0';
const ROOT = join(__dirname, '..', '..');

/** Every installed package's folder, nested node_modules included (scoped packages too). */
function installedPackages(modules: string): string[] {
  if (!existsSync(modules)) return [];
  const folders = readdirSync(modules).flatMap((name) =>
    name.startsWith('@')
      ? readdirSync(join(modules, name)).map((scoped) => join(modules, name, scoped))
      : name.startsWith('.')
        ? []
        : [join(modules, name)],
  );
  return folders
    .filter((folder) => existsSync(join(folder, 'package.json')))
    .flatMap((folder) => [folder, ...installedPackages(join(folder, 'node_modules'))]);
}

describe('installed dependencies run on the oldest supported Node', () => {
  it(`every package's engines.node admits Node ${OLDEST_NODE} (npm ci warns EBADENGINE otherwise)`, () => {
    const refusing = installedPackages(join(ROOT, 'node_modules'))
      .map(
        (folder) =>
          JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
            name: string;
            version: string;
            engines?: { node?: unknown };
          },
      )
      .filter((pkg) => typeof pkg.engines?.node === 'string' && !satisfies(OLDEST_NODE, pkg.engines.node))
      .map((pkg) => `${pkg.name}@${pkg.version} wants node ${String(pkg.engines?.node)}`);
    expect(refusing).toEqual([]);
  });

  it('content-disposition, pinned below 3 for Node 20, still gives @fastify/static the create() it calls for downloads', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module @fastify/static itself requires
    const { create } = require(
      require.resolve('content-disposition', { paths: [join(ROOT, 'node_modules', '@fastify', 'static')] }),
    );
    expect(create('backup 1.json')).toBe('attachment; filename="backup 1.json"');
  });
});
