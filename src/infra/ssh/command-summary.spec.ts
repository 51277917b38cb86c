import { inSequence } from '../../rollout/commands/shell';
import { redact, summarizeCommand } from './command-summary';

describe('summarizeCommand', () => {
  it('masks environment values, which may be secrets', () => {
    expect(
      summarizeCommand({
        argv: [
          'docker',
          'run',
          '-d',
          '-e',
          'DB_PASSWORD=hunter2',
          '--env=TOKEN=abc',
          '--name',
          'shop',
          'img:v1',
        ],
      }),
    ).toBe('docker run -d -e DB_PASSWORD=*** --env=TOKEN=*** --name shop img:v1');
  });

  it('masks environment values inside a sequence, step by step, never showing its sh -c line', () => {
    const sequence = inSequence([
      { argv: ['docker', 'rename', 'shop', 'shop-previous'] },
      { argv: ['docker', 'run', '-d', '-e', 'DB_PASSWORD=hunter2', 'img:v1'] },
    ]);
    expect(sequence.argv[2]).toContain('hunter2');
    expect(summarizeCommand(sequence)).toBe(
      'docker rename shop shop-previous && docker run -d -e DB_PASSWORD=*** img:v1',
    );
  });

  it('keeps a short command as its shell line', () => {
    expect(summarizeCommand({ argv: ['docker', 'pull', 'ghcr.io/acme/shop:v2'] })).toBe(
      'docker pull ghcr.io/acme/shop:v2',
    );
  });

  it('caps a long command', () => {
    const summary = summarizeCommand({ argv: ['echo', 'x'.repeat(500)] });
    expect(summary).toHaveLength(160);
    expect(summary.endsWith('…')).toBe(true);
  });
});

describe('redact', () => {
  const key =
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

  it('removes the secret wherever it appears', () => {
    expect(redact(`bad key: ${key} end`, key)).toBe('bad key: [redacted] end');
  });

  it('removes any private key block, even one that is not the given secret', () => {
    expect(redact(`x ${key.trim()} y`, 'other')).toBe('x [redacted] y');
  });

  it('leaves text without secrets alone', () => {
    expect(redact('connect ECONNREFUSED 127.0.0.1:22', key)).toBe('connect ECONNREFUSED 127.0.0.1:22');
  });
});
