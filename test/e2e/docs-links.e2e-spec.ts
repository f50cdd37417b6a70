import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : name.endsWith('.md') ? [path] : [];
    });
  return [join(ROOT, 'README.md'), join(ROOT, 'UPGRADING.md'), ...walk(join(ROOT, 'docs'))];
}

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, `-1`, `-2` for repeats. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, text] of markdown.replace(/^```[\s\S]*?^```$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

function headingsOf(markdown: string): string[] {
  return [...markdown.replace(/^```[\s\S]*?^```$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)].map((m) => m[1]);
}

/** Inline links `[text](target)` and reference definitions `[label]: target`. */
function linksOf(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(([^)\s]*)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
  const definitions = [...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S*)/gm)].map((m) => m[1]);
  return [...inline, ...definitions];
}

const files = markdownFiles();

describe('the Markdown documentation', () => {
  it('has the pages the README promises', () => {
    for (const page of [
      'docs/concepts.md',
      'docs/operations.md',
      'docs/reference/configuration.md',
      'docs/reference/http-api.md',
      'docs/reference/cli.md',
    ]) {
      expect(existsSync(join(ROOT, page))).toBe(true);
    }
  });

  it.each(files.map((file) => [relative(ROOT, file), file]))(
    '%s: every relative link points at a file that exists, and at an anchor it has',
    (_name, file) => {
      const markdown = readFileSync(file, 'utf8');
      const broken: string[] = [];
      for (const link of linksOf(markdown)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto:
        if (link === '') {
          broken.push('(empty target)');
          continue;
        }
        const [path, anchor] = link.split('#', 2) as [string, string | undefined];
        const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(target)) {
          broken.push(`${link} (no such file)`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor))
          broken.push(`${link} (no such heading)`);
      }
      expect(broken).toEqual([]);
    },
  );

  it.each(files.map((file) => [relative(ROOT, file), file]))('%s: no two headings are the same', (_name, file) => {
    const headings = headingsOf(readFileSync(file, 'utf8'));
    expect(headings.filter((heading, i) => headings.indexOf(heading) !== i)).toEqual([]);
  });

  it.each(files.map((file) => [relative(ROOT, file), file]))(
    '%s: points nowhere outside this repository (../shared/, ARCHITECTURE.md)',
    (_name, file) => {
      expect(readFileSync(file, 'utf8')).not.toMatch(/\.\.\/shared\/|ARCHITECTURE\.md/);
    },
  );

  it.each(files.map((file) => [relative(ROOT, file), file]))(
    '%s: no table is split by a blank line (every row follows a header)',
    (_name, file) => {
      const lines = prose(readFileSync(file, 'utf8')).split('\n');
      const orphans = lines.filter(
        (line, i) => /^\|/.test(line) && !/^\|/.test(lines[i - 1] ?? '') && !/^\|[\s:|-]+\|$/.test(lines[i + 1] ?? ''),
      );
      expect(orphans).toEqual([]);
    },
  );
});
