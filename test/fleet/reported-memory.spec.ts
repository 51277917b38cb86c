import { readFile } from 'node:fs/promises';
import { type Fleet, startFleet } from './fleet';

jest.setTimeout(60_000);

describe('a fleet with reportedMemory', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ count: 2, addressPrefix: '127.0.36.', firstOctet: 50, reportedMemory: true });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  const memAvailable = async (index: number) =>
    (await fleet.ssh(fleet.host(index), 'grep ^MemAvailable: /proc/meminfo')).stdout.trim();

  it('lets the test set what one host’s sessions read as MemAvailable, and nothing else changes', async () => {
    expect(await memAvailable(0)).toMatch(/^MemAvailable:\s+\d+ kB$/);

    await fleet.reportMemAvailable(fleet.host(0), 120);
    expect(await memAvailable(0)).toBe('MemAvailable:   122880 kB');
    expect(await memAvailable(1)).not.toBe('MemAvailable:   122880 kB');
    expect(/^MemAvailable:.*$/m.exec(await readFile('/proc/meminfo', 'utf8'))?.[0]).not.toBe(
      'MemAvailable:   122880 kB',
    );
    // The rest of the file is the real one.
    const meminfo = (await fleet.ssh(fleet.host(0), 'cat /proc/meminfo')).stdout;
    expect(meminfo).toMatch(/^MemTotal:\s+\d+ kB$/m);
  });
});
