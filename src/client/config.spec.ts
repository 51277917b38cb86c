import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDir, normaliseUrl, readConfig, resolveConnection, writeConfig } from './config';
import { UsageError } from './errors';

const TOKEN = `rlt_${'a'.repeat(43)}`;

describe('client configuration', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'rollout-client-config-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lives in --config-dir, ROLLOUT_CONFIG_DIR, $XDG_CONFIG_HOME/rollout or ~/.config/rollout', () => {
    expect(configDir({ ROLLOUT_CONFIG_DIR: '/b' }, '/a', '/home/u')).toBe('/a');
    expect(configDir({ ROLLOUT_CONFIG_DIR: '/b', XDG_CONFIG_HOME: '/x' }, undefined, '/home/u')).toBe('/b');
    expect(configDir({ XDG_CONFIG_HOME: '/x' }, undefined, '/home/u')).toBe('/x/rollout');
    // The XDG specification ignores a relative XDG_CONFIG_HOME.
    expect(configDir({ XDG_CONFIG_HOME: 'rel' }, undefined, '/home/u')).toBe('/home/u/.config/rollout');
    expect(configDir({}, undefined, '/home/u')).toBe('/home/u/.config/rollout');
  });

  it('writes the file 0600 in a folder 0700, even under a permissive umask, and reads it back', async () => {
    const dir = join(root, 'nested', 'rollout');
    const previous = process.umask(0o000);
    try {
      const path = await writeConfig(dir, { url: 'http://127.0.0.1:3000', token: TOKEN });
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(previous);
    }
    expect(await readConfig(dir)).toEqual({ config: { url: 'http://127.0.0.1:3000', token: TOKEN } });
    // No temporary file is left beside it.
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it('closes an existing folder to its owner and replaces an existing file', async () => {
    const dir = join(root, 'open');
    await writeConfig(dir, { url: 'http://127.0.0.1:1', token: TOKEN });
    chmodSync(dir, 0o755);
    await writeConfig(dir, { url: 'http://127.0.0.1:2', token: TOKEN });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect((await readConfig(dir)).config?.url).toBe('http://127.0.0.1:2');
  });

  it('warns when others may read the file, naming it and the fix', async () => {
    const dir = join(root, 'loose');
    const path = await writeConfig(dir, { url: 'http://127.0.0.1:3000', token: TOKEN });
    chmodSync(path, 0o644);
    expect((await readConfig(dir)).warning).toBe(
      `${path} can be read by other users (mode 644); run chmod 600 ${path}`,
    );
  });

  it('has nothing when never logged in, and names a damaged file', async () => {
    expect(await readConfig(join(root, 'none'))).toEqual({ config: null });
    writeFileSync(join(root, 'config.json'), '{ "url": ');
    await expect(readConfig(root)).rejects.toThrow(`${join(root, 'config.json')} is not valid JSON`);
    writeFileSync(join(root, 'config.json'), '{ "url": "http://x" }');
    await expect(readConfig(root)).rejects.toThrow('lacks url or token');
  });

  it('lets ROLLOUT_URL and ROLLOUT_TOKEN override the stored values, each on its own', () => {
    const stored = { url: 'http://127.0.0.1:3000', token: TOKEN };
    expect(resolveConnection({}, stored)).toEqual(stored);
    expect(resolveConnection({ ROLLOUT_URL: 'http://127.0.0.2:4000/' }, stored)).toEqual({
      url: 'http://127.0.0.2:4000',
      token: TOKEN,
    });
    expect(resolveConnection({ ROLLOUT_TOKEN: 'rlt_other' }, stored).token).toBe('rlt_other');
    expect(() => resolveConnection({ ROLLOUT_URL: 'http://127.0.0.1:3000' }, null)).toThrow(
      'not logged in: run rollout login URL --token TOKEN',
    );
  });

  it('takes only http(s) URLs without credentials, query or fragment', () => {
    expect(normaliseUrl('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000');
    expect(normaliseUrl('https://ops.example.test/rollout/')).toBe('https://ops.example.test/rollout');
    for (const bad of ['127.0.0.1:3000', 'ftp://h', 'http://u:p@h', 'http://h/?a=1', 'nonsense']) {
      expect(() => normaliseUrl(bad)).toThrow(UsageError);
    }
  });
});
