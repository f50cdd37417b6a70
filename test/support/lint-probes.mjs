// Lints source texts given as JSON on stdin ([{ path, text }]) with the project's own
// eslint.config.mjs and prints, for each, the rules it broke: the boundary test's helper.
import { ESLint } from 'eslint';

const probes = JSON.parse(await new Promise((resolve) => {
  let input = '';
  process.stdin.on('data', (chunk) => (input += chunk));
  process.stdin.on('end', () => resolve(input));
}));
const eslint = new ESLint({ cwd: process.cwd() });
const results = [];
for (const probe of probes) {
  const [result] = await eslint.lintText(probe.text, { filePath: probe.path });
  results.push(result.messages.map((message) => message.ruleId ?? message.message));
}
process.stdout.write(JSON.stringify(results));
