import { createInterface } from 'node:readline';
import { CliError, EXIT } from './errors';
import type { Stream } from './output';

/**
 * Asks a yes/no question on the terminal (the question on `output`, the answer from `input`); only `y` or
 * `yes` is yes, and an empty answer or the end of input is no.
 */
export function confirm(
  question: string,
  input: NodeJS.ReadableStream,
  output: Stream,
  interrupt?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input, terminal: false });
    let answered = false;
    const finish = (answer: boolean | Error) => {
      if (answered) return;
      answered = true;
      interrupt?.removeEventListener('abort', onAbort);
      lines.close();
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    };
    const onAbort = () => finish(new CliError('interrupted', EXIT.interrupted));
    interrupt?.addEventListener('abort', onAbort);
    output.write(`${question} [y/N] `);
    lines.once('line', (line) => finish(/^\s*y(es)?\s*$/i.test(line)));
    lines.once('close', () => finish(false));
  });
}
