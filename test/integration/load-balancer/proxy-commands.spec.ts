import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FILE_MISSING_EXIT_CODE,
  atomicWriteFile,
  readFileIfExists,
  removeFile,
} from '../../../src/rollout/commands/file-commands';
import { removeDirectory, temporaryDirectory } from './fixtures';
import { LocalShellExecutor, localServer } from './local-executor';

/** The file commands run by a real shell, with awkward paths and content. */
describe('proxy file commands in a real shell', () => {
  let dir: string;
  const executor = new LocalShellExecutor();
  const run = (command: Parameters<LocalShellExecutor['run']>[1]) => executor.run(localServer, command);

  beforeEach(() => (dir = temporaryDirectory('files')));
  afterEach(() => removeDirectory(dir));

  it('writes into a folder it creates, leaving no temporary file behind', async () => {
    const path = join(dir, 'dir$(id)&;x', 'new-folder', 'shop.yaml');
    const content = 'rule: Host(`shop.example`)\nquote: "$HOME" \'$(id)\'\n\u00e9\n';

    expect(await run(atomicWriteFile(path, content))).toMatchObject({ exitCode: 0 });

    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(readdirSync(join(dir, 'dir$(id)&;x', 'new-folder'))).toEqual(['shop.yaml']);
  });

  it('replaces an existing file by rename (a new inode), so a reader never sees it half-written', async () => {
    const path = join(dir, 'shop.conf');
    writeFileSync(path, 'old\n');
    const before = statSync(path).ino;

    await run(atomicWriteFile(path, 'new\n'));

    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).ino).not.toBe(before);
  });

  it('fails with the shell’s message and cleans up when the folder cannot be written', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, '');

    const result = await run(atomicWriteFile(join(blocker, 'shop.conf'), 'x'));

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('not-a-folder');
    expect(readdirSync(dir)).toEqual(['not-a-folder']);
  });

  it('reads a file back byte for byte, and reports a missing one with its own exit code', async () => {
    const path = join(dir, 'shop.conf');
    writeFileSync(path, 'upstream x {}\n\n');

    expect(await run(readFileIfExists(path))).toEqual({
      exitCode: 0,
      stdout: 'upstream x {}\n\n',
      stderr: '',
    });
    expect(await run(readFileIfExists(join(dir, 'absent.conf')))).toMatchObject({
      exitCode: FILE_MISSING_EXIT_CODE,
    });
  });

  it('removes a file, and does not mind when it is already gone', async () => {
    const path = join(dir, 'shop.conf');
    writeFileSync(path, 'x');

    expect(await run(removeFile(path))).toMatchObject({ exitCode: 0 });
    expect(existsSync(path)).toBe(false);
    expect(await run(removeFile(path))).toMatchObject({ exitCode: 0 });
  });
});
