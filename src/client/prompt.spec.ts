import { PassThrough, Readable } from 'node:stream';
import { CliError, EXIT } from './errors';
import { confirm } from './prompt';

function ask(input: NodeJS.ReadableStream, interrupt?: AbortSignal) {
  let written = '';
  const answer = confirm(
    'Start this rollout?',
    input,
    { write: (text: string) => (written += text) },
    interrupt,
  );
  return { answer, written: () => written };
}

describe('confirm', () => {
  it.each([
    ['y\n', true],
    ['YES\n', true],
    [' y \n', true],
    ['n\n', false],
    ['\n', false],
    ['yep\n', false],
    ['', false],
  ])('answers %j as %s', async (typed, expected) => {
    const { answer, written } = ask(Readable.from(typed === '' ? [] : [typed]));
    expect(await answer).toBe(expected);
    expect(written()).toBe('Start this rollout? [y/N] ');
  });

  it('stops waiting when interrupted', async () => {
    const interrupt = new AbortController();
    const input = new PassThrough();
    const { answer } = ask(input, interrupt.signal);
    interrupt.abort();
    await expect(answer).rejects.toEqual(new CliError('interrupted', EXIT.interrupted));
    input.destroy();
  });
});
