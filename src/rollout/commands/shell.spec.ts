import { shellJoin, shellQuote } from './shell';

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
});
