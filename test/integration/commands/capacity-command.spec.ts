import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capacityCommand, parseCapacity } from '../../../src/rollout/commands/capacity-commands';
import { shellJoin } from '../../../src/rollout/commands/shell';

/**
 * The capacity check against this machine's real /proc/meminfo and df, its line run as sshd runs it
 * (`sh -c LINE`): what it prints parses, the path is measured or replaced by `/`, and shell syntax in a
 * path is only ever a path.
 */
describe('the capacity command on a real Linux shell', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollout-capacity-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const runLine = (path: string) => {
    const result = spawnSync('/bin/sh', ['-c', shellJoin(capacityCommand(path).argv)], {
      encoding: 'utf8',
      cwd: dir,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'de_DE.UTF-8' },
    });
    expect(result.status).toBe(0);
    return parseCapacity(result.stdout);
  };

  it('measures an existing data path', () => {
    const reading = runLine(dir);
    expect(reading).toMatchObject({ ok: true, capacity: { diskPath: dir } });
    if (!reading.ok) throw new Error(reading.problem);
    expect(reading.capacity.memoryFreeMb).toBeGreaterThan(0);
    expect(reading.capacity.diskFreeMb).toBeGreaterThan(0);
  });

  it('measures / when the data path does not exist', () => {
    expect(runLine(join(dir, 'missing'))).toMatchObject({ ok: true, capacity: { diskPath: '/' } });
  });

  it('takes shell syntax in a path literally', () => {
    // Run from `dir`: a command substitution would create `dir/ran`.
    const path = join(dir, '$(touch${IFS}ran)', ';id|&$HOME>x');
    mkdirSync(path, { recursive: true });
    expect(runLine(path)).toMatchObject({ ok: true, capacity: { diskPath: path } });
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
