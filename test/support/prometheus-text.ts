/** One sample line of the Prometheus text format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromExposition {
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  samples: PromSample[];
  /** The value of the one sample with these labels (a subset match), or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of a name. */
  all(name: string): PromSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** A small reader of the text format, enough for the tests' assertions (not a full parser). */
export function parsePrometheusText(text: string): PromExposition {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  const all = (name: string) => samples.filter((sample) => sample.name === name);
  const value = (name: string, labels: Record<string, string> = {}) =>
    all(name).find((sample) => Object.entries(labels).every(([key, v]) => sample.labels[key] === v))?.value;
  return { types, samples, value, all };
}

/** The family a sample name belongs to: histogram samples carry `_bucket`, `_sum`, `_count`. */
export function familiesExposed(exposition: PromExposition): Set<string> {
  const names = new Set(exposition.types.keys());
  for (const [name, type] of exposition.types) {
    if (type === 'histogram' || type === 'summary')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}
