import { capacityCommand, parseCapacity } from './capacity-commands';
import { shellJoin } from './shell';

const SCRIPT = `'export LC_ALL=C; p=$1; [ -e "$p" ] || p=/; echo "path $p"; grep ^MemAvailable: /proc/meminfo || { echo no MemAvailable line in /proc/meminfo >&2; exit 1; }; df -P -k "$p"'`;

const GNU = [
  'path /var/lib/docker',
  'MemAvailable:   23282944 kB',
  'Filesystem     1024-blocks     Used Available Capacity Mounted on',
  '/dev/vda         264212084 24674196  81716716      24% /',
  '',
].join('\n');

describe('the capacity command', () => {
  it.each([
    ['/var/lib/docker', `sh -c ${SCRIPT} sh /var/lib/docker`],
    ['/', `sh -c ${SCRIPT} sh /`],
    ['/srv/docker-data', `sh -c ${SCRIPT} sh /srv/docker-data`],
  ])('%s → %s', (path, line) => {
    expect(shellJoin(capacityCommand(path).argv)).toBe(line);
  });

  it.each([
    'var/lib/docker',
    '/var/lib/docker/',
    '/var/../etc',
    '/var/lib/docker; reboot',
    "/var/lib/'docker'",
    '/var/lib/$(id)\\x',
    '/var/lib/do\ncker',
    '',
  ])('refuses the data path %j', (path) => {
    expect(() => capacityCommand(path)).toThrow('Invalid dockerDataPath');
  });
});

describe('parseCapacity', () => {
  it.each([
    ['GNU df', GNU, { memoryFreeMb: 22737, diskFreeMb: 79801, diskPath: '/var/lib/docker' }],
    [
      'the fallback to /',
      GNU.replace('path /var/lib/docker', 'path /'),
      { memoryFreeMb: 22737, diskFreeMb: 79801, diskPath: '/' },
    ],
    [
      'busybox df',
      [
        'path /var/lib/docker',
        'MemAvailable:     122880 kB',
        'Filesystem           1024-blocks    Used Available Capacity Mounted on',
        'overlay                  1000000   180000    819200  18% /var/lib/docker',
      ].join('\n'),
      { memoryFreeMb: 120, diskFreeMb: 800, diskPath: '/var/lib/docker' },
    ],
    [
      '512-byte blocks (POSIXLY_CORRECT)',
      [
        'path /data',
        'MemAvailable: 262144 kB',
        'Filesystem 512-blocks Used Available Capacity Mounted on',
        '/dev/sdb1 4194304 0 2097152 0% /data',
      ].join('\n'),
      { memoryFreeMb: 256, diskFreeMb: 1024, diskPath: '/data' },
    ],
    [
      'CRLF line ends, a filesystem and mount point with spaces',
      [
        'path /mnt/my disk',
        'MemAvailable:   1048575 kB',
        'Filesystem     1024-blocks     Used Available Capacity Mounted on',
        '//nas/share one  1000  10  1048576  1% /mnt/my disk',
      ].join('\r\n'),
      { memoryFreeMb: 1023, diskFreeMb: 1024, diskPath: '/mnt/my disk' },
    ],
    [
      'a capacity of "-" and zero free',
      [
        'path /',
        'MemAvailable:   0 kB',
        'Filesystem     1024-blocks     Used Available Capacity Mounted on',
        'none 0 0 0 - /',
      ].join('\n'),
      { memoryFreeMb: 0, diskFreeMb: 0, diskPath: '/' },
    ],
    [
      'figures beyond 2^53',
      [
        'path /',
        'MemAvailable:   18014398509481984 kB',
        'Filesystem     1024-blocks     Used Available Capacity Mounted on',
        '/dev/huge 99999999999999999 0 18014398509481984 0% /',
      ].join('\n'),
      { memoryFreeMb: 17592186044416, diskFreeMb: 17592186044416, diskPath: '/' },
    ],
  ])('%s', (_name, output, capacity) => {
    expect(parseCapacity(output)).toEqual({ ok: true, capacity });
  });

  it.each([
    ['nothing', '', 'no "path" line in the output'],
    [
      'no MemAvailable line',
      GNU.replace(/MemAvailable.*\n/, ''),
      'no "MemAvailable: N kB" line in the output',
    ],
    [
      'MemAvailable in another unit',
      GNU.replace('23282944 kB', '22 GB'),
      'no "MemAvailable: N kB" line in the output',
    ],
    ['a negative figure', GNU.replace('23282944 kB', '-5 kB'), 'no "MemAvailable: N kB" line in the output'],
    [
      'no df header',
      GNU.replace(/Filesystem.*\n/, ''),
      'no "df -P" header (Filesystem N-blocks Used Available Capacity Mounted on)',
    ],
    [
      'a translated df header',
      GNU.replace('Filesystem     1024-blocks', 'Dateisystem    1024-Blöcke'),
      'no "df -P" header (Filesystem N-blocks Used Available Capacity Mounted on)',
    ],
    ['no df row', GNU.replace(/\/dev\/vda.*\n/, ''), 'no "df -P" row after its header: (none)'],
    [
      'a df row split over two lines (df without -P)',
      GNU.replace('/dev/vda         264212084', '/dev/mapper/very-long-name\n  264212084'),
      'no "df -P" row after its header: /dev/mapper/very-long-name',
    ],
    ['garbage', 'path /\nhello\nworld', 'no "MemAvailable: N kB" line in the output'],
  ])('refuses %s', (_name, output, problem) => {
    expect(parseCapacity(output)).toEqual({ ok: false, problem });
  });
});
