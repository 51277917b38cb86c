import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshExecutorOptions, SshRemoteExecutor } from '../../src/infra/ssh/ssh-remote-executor';
import type { ServerTarget } from '../../src/rollout/domain';
import { HostKeyPinning, RemoteConnectionError } from '../../src/rollout/ports';
import { Fleet, startFleet } from './fleet';
import { run } from './processes';

jest.setTimeout(30_000);

class RecordingPinning extends HostKeyPinning {
  readonly pins: Array<[number, string]> = [];
  pin(serverId: number, fingerprint: string): Promise<void> {
    this.pins.push([serverId, fingerprint]);
    return Promise.resolve();
  }
}

const OPTIONS: SshExecutorOptions = {
  connectTimeoutMs: 5000,
  commandTimeoutMs: 10_000,
  keepaliveIntervalMs: 1000,
  maxChannelsPerConnection: 8,
};

describe('SshRemoteExecutor against real OpenSSH hosts', () => {
  let fleet: Fleet;
  let server: ServerTarget;
  let pinning: RecordingPinning;
  let executor: SshRemoteExecutor;
  const executors: SshRemoteExecutor[] = [];

  const newExecutor = (options: Partial<SshExecutorOptions> = {}, withPinning: HostKeyPinning = pinning) => {
    const created = new SshRemoteExecutor({ ...OPTIONS, ...options }, withPinning);
    executors.push(created);
    return created;
  };
  const failure = async (promise: Promise<unknown>): Promise<RemoteConnectionError> => {
    const err = await promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RemoteConnectionError);
    // No error may ever carry the private key.
    const { message, stack } = err as Error;
    for (const text of [message, stack ?? '']) {
      expect(text).not.toContain(fleet.privateKey.split('\n')[1]);
      expect(text).not.toContain('PRIVATE KEY');
    }
    return err as RemoteConnectionError;
  };

  beforeAll(async () => {
    fleet = await startFleet({ count: 3, addressPrefix: '127.0.22.' });
    server = fleet.serverTarget(fleet.host(0), 1);
  });
  beforeEach(() => {
    pinning = new RecordingPinning();
    executor = newExecutor();
  });
  afterEach(async () => {
    await Promise.all(executors.splice(0).map((e) => e.release()));
  });
  afterAll(() => fleet?.stop());

  it('runs a command and returns its output and exit code', async () => {
    expect(await executor.run(server, { argv: ['echo', 'hello', 'world'] })).toEqual({
      exitCode: 0,
      stdout: 'hello world\n',
      stderr: '',
    });
    expect(await executor.run(server, { argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] })).toEqual({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
  });

  it('passes every argv word through the shell unchanged', async () => {
    const words = ["it's", 'a b', '$(id)', '`id`', 'x;y', '*', ''];
    const result = await executor.run(server, { argv: ['printf', '[%s]', ...words] });
    expect(result.stdout).toBe(words.map((w) => `[${w}]`).join(''));
  });

  it('writes stdin and closes it', async () => {
    const result = await executor.run(server, {
      argv: ['sh', '-c', 'cat; echo done'],
      stdin: 'line 1\nline 2\n',
    });
    expect(result.stdout).toBe('line 1\nline 2\ndone\n');
    expect((await executor.run(server, { argv: ['cat'] })).stdout).toBe('');
  });

  it('runs the docker stand-in with the host environment', async () => {
    const result = await executor.run(server, { argv: ['docker', 'inspect', 'nothing-here'] });
    expect(result).toEqual({ exitCode: 1, stdout: '[]\n', stderr: 'Error: No such object: nothing-here\n' });
  });

  it('reuses one connection for many commands', async () => {
    const before = await fleet.acceptedConnections(fleet.host(0));
    for (let i = 0; i < 5; i++) await executor.run(server, { argv: ['true'] });
    await Promise.all(Array.from({ length: 10 }, () => executor.run(server, { argv: ['true'] })));
    expect(await fleet.acceptedConnections(fleet.host(0))).toBe(before + 1);
  });

  it('queues commands beyond the channel cap on the same connection', async () => {
    const capped = newExecutor({ maxChannelsPerConnection: 3 });
    const before = await fleet.acceptedConnections(fleet.host(0));
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => capped.run(server, { argv: ['sh', '-c', `sleep 0.3; echo ${i}`] })),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 9 }, (_, i) => `${i}\n`));
    // Three rounds of three: at least 0.9 s, where unlimited channels would take about 0.3 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(850);
    expect(await fleet.acceptedConnections(fleet.host(0))).toBe(before + 1);
  });

  it('closes a connection left idle and reconnects for the next command', async () => {
    const idle = newExecutor({ idleTimeoutMs: 200 });
    const before = await fleet.acceptedConnections(fleet.host(0));
    await idle.run(server, { argv: ['true'] });
    await idle.run(server, { argv: ['true'] });
    expect(await fleet.acceptedConnections(fleet.host(0))).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await idle.run(server, { argv: ['echo', 'back'] })).stdout).toBe('back\n');
    expect(await fleet.acceptedConnections(fleet.host(0))).toBe(before + 2);
  });

  it('caps the captured output', async () => {
    const small = newExecutor({ maxOutputBytes: 100 });
    const result = await small.run(server, { argv: ['sh', '-c', "head -c 5000 /dev/zero | tr '\\0' a"] });
    expect(result.stdout).toBe(`${'a'.repeat(100)}\n[output truncated after 100 bytes]`);
  });

  it('times a command out, closes its channel and keeps the connection usable', async () => {
    const err = await failure(executor.run(server, { argv: ['sleep', '5'], timeoutMs: 300 }));
    expect(err.serverName).toBe('host11');
    expect(err.message).toBe('Command timed out after 300ms on server host11 (127.0.22.11:22): sleep 5');
    expect((await executor.run(server, { argv: ['echo', 'still here'] })).stdout).toBe('still here\n');
  });

  it('reconnects transparently once the connection is gone', async () => {
    const before = await fleet.acceptedConnections(fleet.host(0));
    await executor.run(server, { argv: ['true'] });
    // Kill this connection's sshd process from inside the session.
    const lost = await failure(executor.run(server, { argv: ['sh', '-c', 'kill -9 $PPID; sleep 2'] }));
    expect(lost.message).toMatch(/^SSH connection to server host11 \(127\.0\.22\.11:22\) was lost/);
    expect((await executor.run(server, { argv: ['echo', 'again'] })).stdout).toBe('again\n');
    expect(await fleet.acceptedConnections(fleet.host(0))).toBe(before + 2);
  });

  it('trusts an unpinned host key on first use and pins it once', async () => {
    const unpinned = fleet.serverTarget(fleet.host(1), 2, { pinned: false });
    await executor.run(unpinned, { argv: ['true'] });
    await executor.release();
    await executor.run(unpinned, { argv: ['true'] });
    expect(pinning.pins).toEqual([[2, fleet.host(1).hostKeyFingerprint]]);

    // The same server id now answering with another key is refused: the pin holds in this process.
    const moved = { ...fleet.serverTarget(fleet.host(2), 2, { pinned: false }), name: fleet.host(1).name };
    const err = await failure(executor.run(moved, { argv: ['true'] }));
    expect(err.message).toBe(
      `Host key mismatch for server host12 (127.0.22.13:22): expected ${fleet.host(1).hostKeyFingerprint}, ` +
        `got ${fleet.host(2).hostKeyFingerprint}`,
    );
    expect(pinning.pins).toHaveLength(1);
  });

  it('refuses a host key that differs from the registered fingerprint', async () => {
    const wrong = { ...server, hostKeyFingerprint: fleet.host(1).hostKeyFingerprint };
    const err = await failure(executor.run(wrong, { argv: ['true'] }));
    expect(err.message).toBe(
      `Host key mismatch for server host11 (127.0.22.11:22): expected ${fleet.host(1).hostKeyFingerprint}, ` +
        `got ${fleet.host(0).hostKeyFingerprint}`,
    );
    expect(pinning.pins).toEqual([]);
  });

  it('reports a refused connection', async () => {
    const err = await failure(executor.run({ ...server, port: 2 }, { argv: ['true'] }));
    expect(err.message).toBe('SSH connection to server host11 (127.0.22.11:2) refused (ECONNREFUSED)');
  });

  it('reports an authentication failure without the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'other-key-'));
    try {
      await run('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-f', join(dir, 'key')]);
      const otherKey = await readFile(join(dir, 'key'), 'utf8');
      const err = await failure(executor.run({ ...server, privateKey: otherKey }, { argv: ['true'] }));
      expect(err.message).toBe('SSH authentication failed for root@127.0.22.11:22');
      expect(err.message).not.toContain(otherKey.split('\n')[1]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreadable private key without echoing it', async () => {
    const broken = fleet.privateKey.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    const err = await failure(executor.run({ ...server, privateKey: broken }, { argv: ['true'] }));
    expect(err.message).toMatch(/^Invalid SSH private key for server host11: /);
  });

  it('fails at the connect timeout on a host gone dark, and reports a dropped connection', async () => {
    const host = fleet.host(2);
    const target = fleet.serverTarget(host, 3);
    const quick = newExecutor({ connectTimeoutMs: 600, keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    await quick.run(target, { argv: ['true'] });
    const running = quick.run(target, { argv: ['sleep', '5'] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await fleet.takeDark(host);
    try {
      const lost = await failure(running);
      expect(lost.message).toBe(
        'SSH connection to server host13 (127.0.22.13:22) was lost (Keepalive timeout) while running: sleep 5',
      );
      const started = Date.now();
      const timedOut = await failure(quick.run(target, { argv: ['echo', 'hi'] }));
      expect(timedOut.message).toBe('SSH connection to server host13 (127.0.22.13:22) timed out after 600ms');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await fleet.restore(host);
    }
    expect((await quick.run(target, { argv: ['echo', 'back'] })).stdout).toBe('back\n');
  });
});
