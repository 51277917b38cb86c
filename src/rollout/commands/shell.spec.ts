import { execFileSync } from 'node:child_process';
import { inSequence, MAX_COMMAND_LINE_BYTES, shellJoin, shellQuote } from './shell';

describe('shellQuote', () => {
  it.each([
    ['nginx', 'nginx'],
    ['ghcr.io/acme/shop:v1', 'ghcr.io/acme/shop:v1'],
    ['8080:3000', '8080:3000'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", `'it'\\''s'`],
    ['$(reboot)', "'$(reboot)'"],
    ['a;rm -rf /', "'a;rm -rf /'"],
    ['line\nbreak', "'line\nbreak'"],
    ['`id`', "'`id`'"],
  ])('quotes %j as %s', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });

  it('refuses a NUL byte', () => {
    expect(() => shellQuote('a\0b')).toThrow('NUL');
  });

  it.each(['\ud800', 'a\udc00b', '\udc00\ud800'])(
    'refuses %j, a lone surrogate (no UTF-8 encoding: it would arrive as U+FFFD)',
    (word) => {
      expect(() => shellQuote(word)).toThrow('valid Unicode');
    },
  );

  it('quotes a surrogate pair (one valid code point) like any other character', () => {
    expect(shellQuote('a😀b')).toBe("'a😀b'");
  });
});

describe('shellJoin', () => {
  it('joins quoted words with single spaces', () => {
    expect(shellJoin(['docker', 'run', '-e', 'GREETING=hello world'])).toBe(
      "docker run -e 'GREETING=hello world'",
    );
  });

  it('refuses an empty command', () => {
    expect(() => shellJoin([])).toThrow('at least one word');
  });

  it('accepts a line of MAX_COMMAND_LINE_BYTES (one sh -c argument under Linux MAX_ARG_STRLEN) and no more', () => {
    expect(MAX_COMMAND_LINE_BYTES).toBe(131071);
    const word = (bytes: number) => 'x'.repeat(bytes - 'echo '.length);
    expect(Buffer.byteLength(shellJoin(['echo', word(MAX_COMMAND_LINE_BYTES)]))).toBe(MAX_COMMAND_LINE_BYTES);
    expect(() => shellJoin(['echo', word(MAX_COMMAND_LINE_BYTES + 1)])).toThrow('cannot exceed 131071 bytes');
  });

  it('counts UTF-8 bytes and the quoting, not UTF-16 units', () => {
    const quotes = "'".repeat(32768); // 32768 characters, 4 × 32768 + 2 bytes once quoted
    expect(() => shellJoin(['echo', quotes])).toThrow('cannot exceed');
    const euros = '€'.repeat(44000); // 44000 characters, 132000 bytes
    expect(() => shellJoin(['echo', euros])).toThrow('cannot exceed');
  });
});

describe('inSequence', () => {
  const hostile = ["'; touch /tmp/pwned #", '$(id) `id` && || ; > <', 'two words', "it's"];

  it('runs each command with its words intact, in order, through a real shell', () => {
    const command = inSequence(hostile.map((word) => ({ argv: ['printf', '%s\\n', word] })));
    expect(command.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(command.steps).toEqual(hostile.map((word) => ['printf', '%s\\n', word]));
    // the executor quotes argv once more into the remote line: run exactly that line
    const out = execFileSync('sh', ['-c', shellJoin(command.argv)], { encoding: 'utf8' });
    expect(out).toBe(hostile.map((word) => `${word}\n`).join(''));
  });

  it('stops at the first command that fails, with its status', () => {
    const command = inSequence([
      { argv: ['printf', 'a'] },
      { argv: ['sh', '-c', 'exit 3'] },
      { argv: ['printf', 'never'] },
    ]);
    let status = 0;
    let out = '';
    try {
      execFileSync('sh', ['-c', shellJoin(command.argv)], { encoding: 'utf8' });
    } catch (error) {
      status = (error as { status: number }).status;
      out = (error as { stdout: string }).stdout;
    }
    expect({ status, out }).toEqual({ status: 3, out: 'a' });
  });

  it('leaves a single command as it is and refuses none, stdin or a nested sequence', () => {
    const one = { argv: ['docker', 'stop', 'shop'] };
    expect(inSequence([one])).toBe(one);
    expect(() => inSequence([])).toThrow('at least one command');
    expect(() => inSequence([one, { argv: ['cat'], stdin: 'x' }])).toThrow('without stdin');
    expect(() => inSequence([one, inSequence([one, one])])).toThrow('without stdin');
  });
});
