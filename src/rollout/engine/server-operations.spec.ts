import { FakeDocker } from '../../../test/fakes/fake-docker';
import { RecordingExecutor } from '../../../test/fakes/recording-executor';
import { serverTarget } from '../../../test/fakes/server-targets';
import type { ApplicationSpec } from '../domain';
import { RemoteConnectionError } from '../ports';
import { ServerOperations, ServerStepError } from './server-operations';

const IMAGE = 'ghcr.io/acme/shop';
const SECRET = 'pa ss\'w"rd $(id) `x` \\ ;';
const TOKEN = 'tok_0123456789';
const server = serverTarget(1);
const ENV_FILE = /\/tmp\/rollout-env-[0-9a-f]{32}/;

function application(secretEnv?: Record<string, string>): ApplicationSpec {
  return {
    id: 1,
    name: 'shop',
    image: IMAGE,
    tag: 'v1',
    containerPort: 3000,
    hostPort: 8080,
    alternateHostPort: 8081,
    env: { NODE_ENV: 'production' },
    ...(secretEnv && { secretEnv }),
    healthCheckPath: '/health',
    serverIds: [1],
    loadBalancer: { type: 'none' },
    stopTimeout: 10,
    minFreeMemoryMb: 256,
    minFreeDiskMb: 1024,
    dockerDataPath: '/var/lib/docker',
  };
}

function setup(secretEnv?: Record<string, string>) {
  const docker = new FakeDocker().seed('web-1', 'shop', `${IMAGE}:v1`);
  const executor = new RecordingExecutor().use(docker.responder);
  const operations = new ServerOperations(executor, server, application(secretEnv), 7);
  return { docker, executor, operations };
}

async function failure(promise: Promise<unknown>): Promise<ServerStepError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ServerStepError);
  return error as ServerStepError;
}

describe('ServerOperations: secret env', () => {
  it('without secret env runs docker with -e only, as before', async () => {
    const t = setup();
    await t.operations.swap(IMAGE, 'v2');
    expect(t.executor.lines().slice(-1)).toEqual([
      'web-1: docker run -d --name shop --restart unless-stopped -p 8080:3000 -e NODE_ENV=production --label rollout.application=shop --label rollout.deployment=7 ghcr.io/acme/shop:v2',
    ]);
    expect(t.executor.lines().join('\n')).not.toMatch(/env-file|rollout-env|sh -c/);
  });

  it('writes an env file over stdin, runs with --env-file, then removes that same file', async () => {
    const t = setup({ DB_PASSWORD: SECRET, API_TOKEN: TOKEN });
    await t.operations.swap(IMAGE, 'v2');

    const lines = t.executor.lines();
    const path = ENV_FILE.exec(lines.join('\n'))?.[0] as string;
    expect(lines.slice(-3)).toEqual([
      `web-1: sh -c 'umask 077 && set -C && cat > "$1"' sh ${path}`,
      `web-1: docker run -d --name shop --restart unless-stopped -p 8080:3000 --env-file ${path} -e NODE_ENV=production --label rollout.application=shop --label rollout.deployment=7 ghcr.io/acme/shop:v2`,
      `web-1: rm -f ${path}`,
    ]);
    const write = t.executor.commands.find((c) => c.line.startsWith('sh -c'));
    expect(write?.stdin).toBe(`DB_PASSWORD=${SECRET}\nAPI_TOKEN=${TOKEN}\n`);
    for (const { line } of t.executor.commands) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(TOKEN);
    }
    expect(t.docker.container('web-1', 'shop')?.image).toBe(`${IMAGE}:v2`);
  });

  it('uses a new unguessable file name for every start', async () => {
    const t = setup({ A: 'x' });
    await t.operations.swap(IMAGE, 'v2');
    await t.operations.swap(IMAGE, 'v3');
    const paths = t.executor.commands.filter((c) => c.line.startsWith('rm -f')).map((c) => c.line);
    expect(paths).toHaveLength(2);
    expect(paths[0]).not.toBe(paths[1]);
  });

  it('removes the file when docker run fails and masks the secret docker echoed', async () => {
    const t = setup({ DB_PASSWORD: SECRET });
    t.executor.when(/^docker run/, {
      exitCode: 125,
      stderr: `docker: invalid env value ${SECRET} and as JSON ${JSON.stringify(SECRET)}`,
    });
    const error = await failure(t.operations.swap(IMAGE, 'v2'));
    expect(error.step).toBe('start');
    expect(error.message).toBe(
      'web-1 (10.0.0.1): start failed: docker: invalid env value *** and as JSON "***"',
    );
    expect(t.executor.lines().slice(-1)[0]).toMatch(/^web-1: rm -f \/tmp\/rollout-env-[0-9a-f]{32}$/);
  });

  it('does not run docker when the env file cannot be written, and still removes what may exist', async () => {
    const t = setup({ DB_PASSWORD: SECRET });
    t.executor.when(/^sh -c/, { exitCode: 2, stderr: 'sh: cannot create /tmp/x: File exists' });
    const error = await failure(t.operations.swap(IMAGE, 'v2'));
    expect(error.message).toContain('start failed: sh: cannot create /tmp/x: File exists');
    const lines = t.executor.lines();
    expect(lines.some((l) => l.includes('docker run'))).toBe(false);
    expect(lines.slice(-1)[0]).toMatch(/^web-1: rm -f /);
  });

  it('still tries to remove the file when the connection drops during the run', async () => {
    const t = setup({ DB_PASSWORD: SECRET });
    t.executor.when(
      /^docker run/,
      new RemoteConnectionError('web-1', `connection lost while sending ${SECRET}`),
    );
    const error = await failure(t.operations.swap(IMAGE, 'v2'));
    expect(error.step).toBe('SSH connect');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('***');
    expect(t.executor.lines().slice(-1)[0]).toMatch(/^web-1: rm -f /);
  });

  it('fails the start when the file could not be removed after the container started', async () => {
    const t = setup({ DB_PASSWORD: SECRET });
    t.executor.when(/^rm -f/, { exitCode: 1, stderr: `rm: cannot remove: ${SECRET}` });
    const error = await failure(t.operations.swap(IMAGE, 'v2'));
    expect(error.message).toMatch(
      /^web-1 \(10\.0\.0\.1\): start failed: the container started but its env file \/tmp\/rollout-env-[0-9a-f]{32} was not removed: rm: cannot remove: \*\*\*$/,
    );
  });

  it('masks secrets in an unreadable inspect dump', async () => {
    const t = setup({ DB_PASSWORD: SECRET });
    t.executor.when(/^docker inspect/, {
      stdout: `{"Config":{"Env":[${JSON.stringify(`DB_PASSWORD=${SECRET}`)}]}, truncated`,
    });
    const error = await failure(t.operations.swap(IMAGE, 'v2'));
    expect(error.step).toBe('inspect');
    expect(error.message).toBe(
      'web-1 (10.0.0.1): inspect failed: {"Config":{"Env":["DB_PASSWORD=***"]}, truncated',
    );
  });
});

describe('restorePrevious, run again after a worker died mid-restore', () => {
  it('keeps and starts the previous version already renamed into place instead of removing it', async () => {
    const t = setup();
    // `shop-previous` was already renamed to `shop` (v1) and the worker died before starting it.
    t.docker.seed('web-1', 'shop', `${IMAGE}:v1`, false);
    expect(await t.operations.restorePrevious(IMAGE, 'v2')).toEqual({ hostPort: 8080 });
    expect(t.docker.container('web-1', 'shop')).toMatchObject({ image: `${IMAGE}:v1`, running: true });
  });

  it('removes the new version when there is no previous container (a first deployment)', async () => {
    const t = setup();
    t.docker.seed('web-1', 'shop', `${IMAGE}:v2`);
    expect(await t.operations.restorePrevious(IMAGE, 'v2')).toBeNull();
    expect(t.docker.container('web-1', 'shop')).toBeUndefined();
  });
});

describe('ServerOperations: few round trips', () => {
  it('swaps in two execs: one inspect of both containers, one sequence from the removal to the run', async () => {
    const t = setup();
    t.docker.seed('web-1', 'shop-previous', `${IMAGE}:v0`, false);
    await t.operations.swap(IMAGE, 'v2');
    expect(t.executor.execs).toBe(2);
    expect(t.executor.lines()).toEqual([
      "web-1: docker inspect --type container --format '{{json .}}' shop shop-previous",
      'web-1: docker rm -f shop-previous',
      'web-1: docker stop -t 10 shop',
      'web-1: docker rename shop shop-previous',
      expect.stringMatching(/^web-1: docker run -d --name shop .* ghcr\.io\/acme\/shop:v2$/) as string,
    ]);
    expect(t.docker.container('web-1', 'shop-previous')?.image).toBe(`${IMAGE}:v1`);
  });

  it('stops the sequence at the step that fails and reports that step’s output', async () => {
    const t = setup();
    t.executor.when(/^docker stop/, { exitCode: 1, stderr: 'Error response from daemon: cannot stop shop' });
    const error = await failure(t.operations.swap(IMAGE, 'v2'));
    expect(error.step).toBe('start');
    expect(error.message).toContain('cannot stop shop');
    expect(t.executor.lines().some((line) => /rename|run/.test(line))).toBe(false);
    expect(t.docker.container('web-1', 'shop')?.running).toBe(true);
  });

  it('start-first: retires the old container and renames the new one in one exec after one inspect', async () => {
    const t = setup();
    await t.operations.startBeside(IMAGE, 'v2');
    const before = t.executor.execs;
    await t.operations.finishBeside();
    expect(t.executor.execs - before).toBe(2);
    expect(t.docker.container('web-1', 'shop')?.image).toBe(`${IMAGE}:v2`);
    expect(t.docker.container('web-1', 'shop-previous')?.image).toBe(`${IMAGE}:v1`);
  });

  it('sends the commands one by one when together they would not fit in one exec', async () => {
    const docker = new FakeDocker().seed('web-1', 'shop', `${IMAGE}:v1`);
    const executor = new RecordingExecutor().use(docker.responder);
    const quotes = "'".repeat(7000);
    const big = { ...application(), env: { A: quotes, B: quotes } };
    const operations = new ServerOperations(executor, server, big, 7);
    await operations.swap(IMAGE, 'v2');
    // inspect, then stop, rename and run each on its own: quoted once more, the sequence would pass 128 KiB
    expect(executor.execs).toBe(4);
    expect(docker.container('web-1', 'shop')?.image).toBe(`${IMAGE}:v2`);
  });
});
