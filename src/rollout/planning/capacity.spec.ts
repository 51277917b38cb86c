import { capacityShortage } from './capacity';

const required = { minFreeMemoryMb: 256, minFreeDiskMb: 1024 };
const plenty = { memoryFreeMb: 4096, diskFreeMb: 50_000, diskPath: '/var/lib/docker' };

describe('capacityShortage', () => {
  it.each([
    ['plenty', plenty, required, null],
    ['exactly the minimum', { ...plenty, memoryFreeMb: 256, diskFreeMb: 1024 }, required, null],
    [
      'nothing required',
      { ...plenty, memoryFreeMb: 0, diskFreeMb: 0 },
      { minFreeMemoryMb: 0, minFreeDiskMb: 0 },
      null,
    ],
    [
      'memory short',
      { ...plenty, memoryFreeMb: 120 },
      required,
      'Server web-3 has insufficient capacity: 120 MB memory free, 256 MB required (checked for stop-first)',
    ],
    [
      'one MB short of memory',
      { ...plenty, memoryFreeMb: 255 },
      required,
      'Server web-3 has insufficient capacity: 255 MB memory free, 256 MB required (checked for stop-first)',
    ],
    [
      'disk short',
      { ...plenty, diskFreeMb: 800 },
      required,
      'Server web-3 has insufficient capacity: 800 MB disk free on /var/lib/docker, 1024 MB required (checked for stop-first)',
    ],
    [
      'disk short on the fallback /',
      { ...plenty, diskFreeMb: 10, diskPath: '/' },
      required,
      'Server web-3 has insufficient capacity: 10 MB disk free on /, 1024 MB required (checked for stop-first)',
    ],
    [
      'both short',
      { memoryFreeMb: 120, diskFreeMb: 800, diskPath: '/var/lib/docker' },
      required,
      'Server web-3 has insufficient capacity: 120 MB memory free, 256 MB required; 800 MB disk free on /var/lib/docker, 1024 MB required (checked for stop-first)',
    ],
  ])('%s', (_name, figures, requirement, reason) => {
    expect(
      capacityShortage({ serverName: 'web-3', figures, required: requirement, order: 'stop-first' }),
    ).toBe(reason);
  });

  it('says which order it checked for', () => {
    expect(
      capacityShortage({
        serverName: 'web-1',
        figures: { ...plenty, memoryFreeMb: 1 },
        required,
        order: 'start-first',
      }),
    ).toBe(
      'Server web-1 has insufficient capacity: 1 MB memory free, 256 MB required (checked for start-first)',
    );
  });
});
