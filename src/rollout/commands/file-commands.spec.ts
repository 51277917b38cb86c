import {
  FILE_MISSING_EXIT_CODE,
  adminShellCommand,
  atomicWriteFile,
  readFileIfExists,
  removeFile,
  temporaryPathFor,
} from './file-commands';
import { shellJoin } from './shell';

describe('file commands', () => {
  describe('temporaryPathFor', () => {
    it.each([
      ['/data/coolify/proxy/dynamic/shop.yaml', '/data/coolify/proxy/dynamic/.shop.yaml.rollout-tmp'],
      ['/etc/traefik/shop.yml', '/etc/traefik/.shop.yml.rollout-tmp'],
      ['/etc/traefik/shop.toml', '/etc/traefik/.shop.toml.rollout-tmp'],
      ['/etc/nginx/conf.d/shop.conf', '/etc/nginx/conf.d/.shop.conf.rollout-tmp'],
      ['/shop.yaml', '/.shop.yaml.rollout-tmp'],
    ])('%s → %s (same folder, an ending no proxy reads)', (path, expected) => {
      const temporary = temporaryPathFor(path);
      expect(temporary).toBe(expected);
      expect(temporary).not.toMatch(/\.(ya?ml|toml|conf)$/);
    });

    it.each(['shop.yaml', 'conf.d/shop.conf', '/etc/nginx/', '/etc/../shop.conf', '/etc//shop.conf', ''])(
      'rejects %j, which is not an absolute normalized file path',
      (path) => {
        expect(() => temporaryPathFor(path)).toThrow('not an absolute, normalized file path');
      },
    );
  });

  it('writes atomically: content on stdin to a temporary sibling, then a rename', () => {
    const command = atomicWriteFile('/data/dynamic/shop.yaml', 'http: {}\n');
    expect(shellJoin(command.argv)).toBe(
      `sh -c 'mkdir -p -- "$(dirname -- "$2")" && cat > "$1" && mv -f -- "$1" "$2" || { rm -f -- "$1"; exit 1; }' ` +
        'sh /data/dynamic/.shop.yaml.rollout-tmp /data/dynamic/shop.yaml',
    );
    expect(command.stdin).toBe('http: {}\n');
  });

  it('passes paths as positional arguments, never inside the script', () => {
    const command = atomicWriteFile('/srv/$(id);here/a&b.conf', 'x');
    expect(command.argv.slice(3)).toEqual([
      'sh',
      '/srv/$(id);here/.a&b.conf.rollout-tmp',
      '/srv/$(id);here/a&b.conf',
    ]);
    expect(command.argv[2]).not.toContain('here');
  });

  it.each([
    ['a relative path', 'etc/shop.conf'],
    ['a ".." segment', '/etc/nginx/../shadow'],
    ['a "." segment', '/etc/./shop.conf'],
    ['"//"', '/etc//shop.conf'],
    ['a trailing "/."', '/etc/shop/.'],
    ['a directory', '/etc/nginx/'],
    ['a quote', "/srv/it's.conf"],
    ['a space', '/srv/a b.conf'],
    ['a newline', '/srv/a\nb.conf'],
    ['NUL', '/srv/a\0b.conf'],
    ['a right-to-left override', '/srv/a\u202eb.conf'],
    ['a lone surrogate', '/srv/a\ud800.conf'],
    ['a segment whose temporary sibling would pass NAME_MAX', `/srv/${'a'.repeat(243)}`],
    ['more than 1024 bytes', `/srv${'/abcdefg'.repeat(128)}`],
  ])('refuses a file path with %s (the request-time rule of configPath)', (_what, path) => {
    expect(() => atomicWriteFile(path, 'x')).toThrow('not an absolute, normalized file path');
    expect(() => readFileIfExists(path)).toThrow('not an absolute, normalized file path');
    expect(() => removeFile(path)).toThrow('not an absolute, normalized file path');
  });

  it('accepts the longest segment whose temporary sibling still fits NAME_MAX', () => {
    const path = `/srv/${'a'.repeat(242)}`;
    expect(Buffer.byteLength(temporaryPathFor(path).split('/').pop() ?? '')).toBe(255);
  });

  it('reads a file or reports it missing with its own exit code', () => {
    expect(FILE_MISSING_EXIT_CODE).toBe(66);
    expect(shellJoin(readFileIfExists('/etc/nginx/conf.d/shop.conf').argv)).toBe(
      `sh -c 'if [ -e "$1" ]; then cat -- "$1"; else exit 66; fi' sh /etc/nginx/conf.d/shop.conf`,
    );
  });

  it('removes a file', () => {
    expect(shellJoin(removeFile('/etc/nginx/conf.d/shop.conf').argv)).toBe(
      'rm -f -- /etc/nginx/conf.d/shop.conf',
    );
  });

  it('runs an administrator command line through the remote shell as written', () => {
    expect(shellJoin(adminShellCommand('nginx -t && systemctl reload nginx').argv)).toBe(
      `sh -c 'nginx -t && systemctl reload nginx'`,
    );
    expect(() => adminShellCommand('  ')).toThrow('one non-empty line');
    expect(() => adminShellCommand('nginx -t\nreboot')).toThrow('one non-empty line');
    expect(() => adminShellCommand('nginx -s reload\u202e')).toThrow('one non-empty line');
  });
});
