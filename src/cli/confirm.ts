import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * Asks on stderr and reads one line from `input` (a terminal, or a pipe for scripts that
 * answer); only "yes" goes on. End of input without an answer is a no.
 */
export async function confirm(question: string, input: Readable = process.stdin): Promise<boolean> {
  process.stderr.write(`${question}\nType "yes" to go on: `);
  const lines = createInterface({ input, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(''));
    });
    // A piped answer is not echoed: end the prompt's line so what follows starts on its own.
    if (!(input as { isTTY?: boolean }).isTTY) process.stderr.write('\n');
    return answer.trim() === 'yes';
  } finally {
    lines.close();
  }
}
