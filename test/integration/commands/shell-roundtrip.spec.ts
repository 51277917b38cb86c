import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { commandLineEnvProblem, isRemoteFilePath } from '../../../src/common/validation/rules';
import { SshRemoteExecutor } from '../../../src/infra/ssh/ssh-remote-executor';
import { docker } from '../../../src/rollout/commands/docker-commands';
import { atomicWriteFile, readFileIfExists, removeFile } from '../../../src/rollout/commands/file-commands';
import { MAX_COMMAND_LINE_BYTES, shellJoin, shellQuote } from '../../../src/rollout/commands/shell';
import type { ServerTarget } from '../../../src/rollout/domain';
import { HostKeyPinning, type RemoteCommand } from '../../../src/rollout/ports';
import { type Fleet, startFleet } from '../../fleet/fleet';

/**
 * The quoting point against a real shell: every value is either refused before anything is sent (shellQuote,
 * the command builders' validation) or, through the real SSH executor, the test host's login shell and `sh -c`,
 * arrives at the program byte-exact. Bytes are compared as `od` prints them, so no decoding can hide a change.
 *
 * Deterministic: FC_SEED picks another seed; a failure prints the seed and the shrunk counterexample.
 */
const SEED = Number(process.env.FC_SEED ?? 5_2026);
jest.setTimeout(60_000);

class NoPinning extends HostKeyPinning {
  async pin(): Promise<void> {}
}

/** Shell syntax of every kind, for bash (the login shell) and dash (`sh`). */
const SHELL_SYNTAX = [
  ...[
    "'",
    '"',
    '\\',
    '`',
    '$',
    '$(id)',
    '${x:-y}',
    '$((1+1))',
    '$HOME',
    '$1',
    '$@',
    '$*',
    '$?',
    '$$',
    '!',
    '!!',
  ],
  ...[';', '&', '&&', '|', '||', '>', '>>', '<', '<<', '<<<', '(', ')', '{', '}', '[', ']', '[[', '*', '?'],
  ...['~', '~root', '#', '=', 'a=b', 'IFS=x', '-', '--', '-n', '-e', '%s', '%b', '%%', '\\0', '\\n', '\\x41'],
  ...[
    ' ',
    '\t',
    '\n',
    '\r',
    '\v',
    '\f',
    '\u001b',
    '\u007f',
    '\u0085',
    '\u00a0',
    '\u2028',
    '\u202e',
    '\ufeff',
  ],
  ...['é', 'e\u0301', 'ѕ', '😀', '\u{10ffff}', '\ue000', "'\\''", "\\'", "''", '""', 'if', 'then', 'fi'],
];
/** Values that must be refused: they cannot be sent byte-exact (NUL ends a C string; a lone surrogate has no UTF-8). */
const UNSENDABLE = ['\0', 'a\0b', '\ud800', 'x\udc00', '\udfff\ud800'];

const word: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...SHELL_SYNTAX), maxLength: 8 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...SHELL_SYNTAX), fc.string({ unit: 'binary', maxLength: 3 })), {
        maxLength: 10,
      })
      .map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.constantFrom('', ...SHELL_SYNTAX) },
  { weight: 1, arbitrary: fc.constantFrom(...UNSENDABLE) },
);

/** Names a configPath may end in: shell syntax that is not whitespace, a quote or a backslash, and Unicode. */
const fileName: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(
    ...'$();&|*?~#=!%{}[]<>^`,:@+-_.aZ09'.replace('`', ''),
    'é',
    'ѕ',
    '😀',
    '%2e%2e',
    '..',
  ),
  minLength: 1,
  maxLength: 12,
});

function sendable(value: string): boolean {
  try {
    shellQuote(value);
    return true;
  } catch {
    return false;
  }
}

/** What `printf '%s\0' WORDS…` must print, as hex. */
function expectedHex(words: readonly string[]): string {
  return Buffer.concat(words.flatMap((w) => [Buffer.from(w, 'utf8'), Buffer.alloc(1)])).toString('hex');
}

const OD = 'od -An -v -tx1';

describe('shell round trip on a real OpenSSH host (fast-check)', () => {
  let fleet: Fleet;
  let server: ServerTarget;
  let executor: SshRemoteExecutor;
  let dir: string;

  /** Runs `command` on the host and returns its stdout as hex bytes (`od`). */
  const hexOf = async (command: RemoteCommand): Promise<string> => {
    const result = await executor.run(server, command);
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: '' });
    return result.stdout.replace(/\s+/g, '');
  };

  beforeAll(async () => {
    fleet = await startFleet({ count: 1, addressPrefix: '127.0.72.' });
    server = fleet.serverTarget(fleet.host(0), 1);
    executor = new SshRemoteExecutor(
      {
        connectTimeoutMs: 5000,
        commandTimeoutMs: 20_000,
        keepaliveIntervalMs: 1000,
        maxChannelsPerConnection: 8,
      },
      new NoPinning(),
    );
    dir = (await executor.run(server, { argv: ['mktemp', '-d'] })).stdout.trim();
  });
  afterAll(async () => {
    await executor?.release();
    await fleet?.stop();
  });

  it('refuses before sending what cannot arrive byte-exact', () => {
    for (const value of UNSENDABLE) {
      expect(sendable(value)).toBe(false);
      expect(() => shellJoin(['printf', '%s', value])).toThrow();
    }
  });

  it('argv words arrive byte-exact, parsed by the login shell and again by sh -c', async () => {
    const tally = { sent: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(word, { minLength: 40, maxLength: 100 }), async (generated) => {
        const words = generated.filter(sendable);
        tally.refused += generated.length - words.length;
        tally.sent += words.length;
        if (words.length === 0) return;
        const expected = expectedHex(words);
        // The login shell parses the line; the words reach `sh -c` as "$@" without a second parse.
        const once = await hexOf({ argv: ['sh', '-c', `printf '%s\\0' "$@" | ${OD}`, 'sh', ...words] });
        expect(once).toBe(expected);
        // A line quoted by shellJoin, quoted again as one word: bash parses the outer, dash the inner.
        const inner = `${shellJoin(['printf', '%s\\0', ...words])} | ${OD}`;
        const twice = await hexOf({ argv: ['sh', '-c', inner] });
        expect(twice).toBe(expected);
      }),
      { seed: SEED, numRuns: 30 },
    );
    expect(tally.sent).toBeGreaterThan(1500);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it('docker run: env values from the whole Unicode range reach the docker CLI byte-exact, or are refused', async () => {
    const value = fc.array(word, { maxLength: 3 }).map((parts) => parts.join(''));
    const tally = { sent: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 6 }), async (values) => {
        const env = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
        if (commandLineEnvProblem(env) !== null) {
          expect(() => docker.run(spec(env))).toThrow('Invalid env');
          tally.refused++;
          return;
        }
        tally.sent++;
        const argv = docker.run(spec(env)).argv;
        // The docker stand-in is replaced by a program that prints its arguments.
        const printed = await hexOf({
          argv: ['sh', '-c', `printf '%s\\0' "$@" | ${OD}`, 'sh', ...argv.slice(1)],
        });
        expect(printed).toBe(expectedHex(argv.slice(1)));
        expect(argv).toEqual(expect.arrayContaining(Object.entries(env).map(([k, v]) => `${k}=${v}`)));
      }),
      { seed: SEED, numRuns: 40 },
    );
    expect(tally.sent).toBeGreaterThan(20);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it('file paths and contents: the atomic write lands at exactly the path given, with the bytes given', async () => {
    const tally = { written: 0, refused: 0 };
    await fc.assert(
      // One file name (a "/" would make folders); contents travel on stdin.
      fc.asyncProperty(
        fc.oneof(word, fileName).map((w) => w.replaceAll('/', '_')),
        fc.string({ unit: 'binary', maxLength: 200 }),
        async (name, content) => {
          const path = `${dir}/${name}`;
          if (!isRemoteFilePath(path)) {
            expect(() => atomicWriteFile(path, content)).toThrow('not an absolute, normalized file path');
            tally.refused++;
            return;
          }
          tally.written++;
          expect((await executor.run(server, atomicWriteFile(path, content))).exitCode).toBe(0);
          // The folder holds exactly this file (the previous one was removed), named with the bytes of `name`.
          expect(await hexOf(listFolder(dir))).toBe(expectedHex([name]));
          const read = await executor.run(server, readFileIfExists(path));
          expect(read.exitCode).toBe(0);
          expect(Buffer.from(read.stdout, 'utf8').equals(Buffer.from(content, 'utf8'))).toBe(true);
          expect((await executor.run(server, removeFile(path))).exitCode).toBe(0);
        },
      ),
      { seed: SEED, numRuns: 30 },
    );
    expect(await hexOf(listFolder(dir))).toBe('');
    expect(tally.written).toBeGreaterThan(10);
    expect(tally.refused).toBeGreaterThan(3);
  });

  it('a line of exactly MAX_COMMAND_LINE_BYTES runs; one byte more is refused before sending, as the kernel would', async () => {
    const filler = 'x'.repeat(MAX_COMMAND_LINE_BYTES - 'printf %s '.length);
    expect(Buffer.byteLength(shellJoin(['printf', '%s', filler]))).toBe(MAX_COMMAND_LINE_BYTES);
    const result = await executor.run(server, { argv: ['printf', '%s', filler] });
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(result.stdout).toBe(filler);
    expect(() => shellJoin(['printf', '%s', `${filler}x`])).toThrow('cannot exceed');
    // Why: Linux refuses one argument of more than 128 KiB with its NUL (sshd hands the line to `$SHELL -c`).
    expect(spawnSync('sh', ['-c', `: ${'x'.repeat(MAX_COMMAND_LINE_BYTES - 2)}`]).status).toBe(0);
    expect(spawnSync('sh', ['-c', `: ${'x'.repeat(MAX_COMMAND_LINE_BYTES - 1)}`]).error).toMatchObject({
      code: 'E2BIG',
    });
  });
});

/** Every entry of `folder`, hidden ones included, each followed by NUL, as `od` hex. */
function listFolder(folder: string): RemoteCommand {
  const script = `cd "$1" && for f in * .[!.]* ..?*; do [ -e "$f" ] && printf '%s\\0' "$f"; done | ${OD}`;
  return { argv: ['sh', '-c', script, 'sh', folder] };
}

function spec(env: Record<string, string>) {
  return {
    name: 'shop',
    image: 'ghcr.io/acme/shop',
    tag: 'v1',
    hostPort: 8080,
    containerPort: 3000,
    env,
    labels: { 'rollout.application': 'shop', 'rollout.deployment': '7' },
  };
}
