import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { SshRemoteExecutor } from '../../../src/infra/ssh/ssh-remote-executor';
import { docker, envFilePath } from '../../../src/rollout/commands/docker-commands';
import { shellJoin } from '../../../src/rollout/commands/shell';
import type { ApplicationSpec, ServerTarget } from '../../../src/rollout/domain';
import {
  CommandResult,
  HostKeyPinning,
  RemoteCommand,
  RemoteExecutor,
} from '../../../src/rollout/ports/remote-executor.port';
import { ServerOperations, ServerStepError } from '../../../src/rollout/engine/server-operations';
import { Fleet, FleetHost, startFleet } from '../../fleet/fleet';
import { defined } from '../../support/defined';

jest.setTimeout(60_000);

/** Values a shell, an env file or a careless quoting would change; each must arrive byte-exact. */
const SECRETS: Record<string, string> = {
  DB_PASSWORD: `p'a"s$s \`id\` $(id) \\n \\ ;|&<> *?`,
  SPACED: '  leading and trailing  ',
  HASH: '#not a comment',
  EQUALS: '=a=b==',
  QUOTED: '"kept quoted"',
  UNICODE: 'clé ✓ 日本 🔑',
  LONG: 'x'.repeat(20_000) + 'END',
};
const ENV_FILE = /\/tmp\/rollout-env-[0-9a-f]{32}/;

class NoPinning extends HostKeyPinning {
  async pin(): Promise<void> {}
}

interface Sent {
  argv: string[];
  line: string;
  stdin?: string;
  /** For env file writes: the file's mode and owner right after the write. */
  fileMode?: string;
}

/** The real SSH executor, recording what it was asked to run (and the mode of each env file written). */
class RecordingSsh extends RemoteExecutor {
  readonly sent: Sent[] = [];
  constructor(private readonly inner: SshRemoteExecutor) {
    super();
  }

  async run(server: ServerTarget, command: RemoteCommand): Promise<CommandResult> {
    const entry: Sent = { argv: [...command.argv], line: shellJoin(command.argv), stdin: command.stdin };
    this.sent.push(entry);
    const result = await this.inner.run(server, command);
    const path = command.argv[0] === 'sh' ? command.argv[command.argv.length - 1] : undefined;
    if (path !== undefined && ENV_FILE.test(path) && result.exitCode === 0) {
      entry.fileMode = (await this.inner.run(server, { argv: ['stat', '-c', '%a %U', path] })).stdout.trim();
    }
    return result;
  }

  release(serverId?: number): Promise<void> {
    return this.inner.release(serverId);
  }
}

function application(name: string, hostPort: number, secretEnv: Record<string, string>): ApplicationSpec {
  return {
    id: 1,
    name,
    image: 'ghcr.io/acme/shop',
    tag: 'v1',
    containerPort: 3000,
    hostPort,
    alternateHostPort: hostPort + 1,
    env: { PLAIN: 'visible' },
    secretEnv,
    healthCheckPath: '/health',
    serverIds: [1],
    loadBalancer: { type: 'none' },
    stopTimeout: 10,
    minFreeMemoryMb: 256,
    minFreeDiskMb: 1024,
    dockerDataPath: '/var/lib/docker',
  };
}

async function envOf(host: FleetHost, port: number, name: string): Promise<{ status: number; body: string }> {
  const response = await request(`http://${host.address}:${port}/__env/${name}`);
  return { status: response.statusCode, body: await response.body.text() };
}

async function eventually<T>(probe: () => Promise<T>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('secret env reaches the container over SSH without any command line carrying it', () => {
  let fleet: Fleet;
  let host: FleetHost;
  let server: ServerTarget;
  let ssh: SshRemoteExecutor;
  let executor: RecordingSsh;

  beforeAll(async () => {
    fleet = await startFleet({ count: 1, addressPrefix: '127.0.71.' });
    host = fleet.host(0);
    server = fleet.serverTarget(host, 1);
    ssh = new SshRemoteExecutor(
      {
        connectTimeoutMs: 5000,
        commandTimeoutMs: 20_000,
        keepaliveIntervalMs: 1000,
        maxChannelsPerConnection: 8,
      },
      new NoPinning(),
    );
  });
  beforeEach(() => {
    executor = new RecordingSsh(ssh);
  });
  afterAll(async () => {
    await ssh?.release();
    await fleet?.stop();
  });

  const envFilesIn = (sent: Sent[]) => [...new Set(sent.flatMap((s) => ENV_FILE.exec(s.line)?.[0] ?? []))];

  it('starts the container with the values byte-exact, the file 0600 while it exists and gone after', async () => {
    const operations = new ServerOperations(executor, server, application('shop', 18081, SECRETS), 7);
    await operations.swap('ghcr.io/acme/shop', 'v1');

    for (const [name, value] of Object.entries(SECRETS)) {
      const answer = await eventually(() => envOf(host, 18081, name));
      expect({ name, ...answer }).toEqual({ name, status: 200, body: value });
    }
    expect((await envOf(host, 18081, 'PLAIN')).body).toBe('visible');

    const files = envFilesIn(executor.sent);
    expect(files).toHaveLength(1);
    const file = defined(files[0], 'the env file');
    const write = executor.sent.find((s) => s.argv[0] === 'sh');
    expect(write?.fileMode).toBe('600 root');
    expect(executor.sent.map((s) => s.line)).toContain(`rm -f ${file}`);
    expect(existsSync(file)).toBe(false);
    expect((await fleet.ssh(host, `test -e ${file}; echo $?`)).stdout.trim()).toBe('1');

    // No command line sent to the host carries a value; only the write's stdin does.
    for (const { argv, line } of executor.sent) {
      for (const value of Object.values(SECRETS)) {
        expect(argv.some((word) => word.includes(value))).toBe(false);
        expect(line).not.toContain(value);
      }
    }
    expect(write?.stdin).toContain(SECRETS.DB_PASSWORD);
  });

  it('removes the file when docker run fails and reports no value', async () => {
    const taken = new ServerOperations(executor, server, application('other', 18081, SECRETS), 7);
    const error = await taken.swap('ghcr.io/acme/shop', 'v1').then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ServerStepError);
    expect((error as Error).message).toMatch(/start failed: .*port is already allocated/);
    for (const value of Object.values(SECRETS)) expect((error as Error).message).not.toContain(value);
    const file = defined(envFilesIn(executor.sent)[0], 'the env file');
    expect(executor.sent.at(-1)?.line).toBe(`rm -f ${file}`);
    expect(existsSync(file)).toBe(false);
  });

  it('never writes through an existing file or link (set -C)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rollout-secret-'));
    try {
      const existing = envFilePath('a'.repeat(32));
      await writeFile(existing, 'OLD=1\n');
      const result = await executor.run(server, docker.writeEnvFile(existing, { A: 'new' }));
      expect(result.exitCode).not.toBe(0);

      const linked = envFilePath('b'.repeat(32));
      const target = join(dir, 'stolen');
      await symlink(target, linked);
      expect((await executor.run(server, docker.writeEnvFile(linked, { A: 'new' }))).exitCode).not.toBe(0);
      expect(existsSync(target)).toBe(false);
      await rm(linked);
      await rm(existing);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the docker stand-in reads --env-file as Docker's CLI does", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rollout-envfile-'));
    try {
      const file = join(dir, 'env');
      await writeFile(
        file,
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          Buffer.from(
            '# a comment\n\n   INDENTED=kept  \r\nFLEET_STATE_DIR\nNOT_SET_ANYWHERE\nDUP=file\nRAW="q" #x\n',
          ),
        ]),
      );
      const started = await fleet.docker(host, [
        ...['run', '-d', '--name', 'envfile', '-p', '18082:3000', '--env-file', file],
        ...['-e', 'DUP=flag', 'ghcr.io/acme/shop:v1'],
      ]);
      expect(started.exitCode).toBe(0);
      const read = (name: string) => eventually(() => envOf(host, 18082, name));
      expect(await read('INDENTED')).toEqual({ status: 200, body: 'kept  ' });
      expect(await read('FLEET_STATE_DIR')).toEqual({ status: 200, body: host.stateDir });
      expect((await read('NOT_SET_ANYWHERE')).status).toBe(404);
      expect(await read('DUP')).toEqual({ status: 200, body: 'flag' });
      expect(await read('RAW')).toEqual({ status: 200, body: '"q" #x' });

      await writeFile(file, 'BAD NAME=x\n');
      const refused = await fleet.docker(host, ['run', '-d', '--name', 'bad', '--env-file', file, 'shop:v1']);
      expect(refused).toMatchObject({ exitCode: 125 });
      expect(refused.stderr).toContain("variable 'BAD NAME' contains whitespaces");
      const missing = await fleet.docker(host, ['run', '-d', '--env-file', join(dir, 'nope'), 'shop:v1']);
      expect(missing.stderr).toContain('no such file or directory');
    } finally {
      await fleet.docker(host, ['rm', '-f', 'envfile']);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
