import { ChildProcess, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SystemClock } from '../../../src/common/clock';
import { RemoteLoadBalancer } from '../../../src/infra/load-balancer';
import type { LoadBalancerConfig } from '../../../src/rollout/domain';
import {
  LoadBalancerError,
  LoadBalancerTarget,
  RotationMember,
} from '../../../src/rollout/ports/load-balancer.port';
import {
  Backend,
  bodiesOf,
  freePort,
  get,
  removeDirectory,
  startBackend,
  startProcess,
  stopProcess,
  temporaryDirectory,
  waitForFile,
} from './fixtures';
import { waitFor } from '../../support/wait';
import { LocalShellExecutor, localServer } from './local-executor';

type HaproxyConfig = Extract<LoadBalancerConfig, { type: 'haproxy' }>;

jest.setTimeout(15_000);

describe('HAProxy load balancer against a real HAProxy', () => {
  let dir: string;
  let haproxy: ChildProcess | undefined;
  let frontendPort: number;
  let backends: Record<'web-1' | 'web-2', Backend>;
  let members: Record<'web-1' | 'web-2', RotationMember>;
  let config: HaproxyConfig;
  let target: LoadBalancerTarget;
  let loadBalancer: RemoteLoadBalancer;

  const targetWith = (overrides: Partial<HaproxyConfig>): LoadBalancerTarget => ({
    ...target,
    config: { ...config, ...overrides },
  });

  beforeAll(async () => {
    dir = temporaryDirectory('haproxy');
    frontendPort = await freePort();
    const [web1, web2] = await Promise.all([startBackend('backend-1'), startBackend('backend-2')]);
    backends = { 'web-1': web1, 'web-2': web2 };
    members = {
      'web-1': { serverId: 1, serverName: 'web-1', host: '127.0.0.1', port: web1.port },
      'web-2': { serverId: 2, serverName: 'web-2', host: '127.0.0.1', port: web2.port },
    };
    const socketPath = join(dir, 'admin.sock');
    const configFile = join(dir, 'haproxy.cfg');
    writeFileSync(
      configFile,
      [
        'global',
        `  stats socket ${socketPath} mode 600 level admin`,
        'defaults',
        '  mode http',
        '  timeout connect 1s',
        '  timeout client 10s',
        '  timeout server 10s',
        'frontend fe',
        `  bind 127.0.0.1:${frontendPort}`,
        '  default_backend be_shop',
        'backend be_shop',
        `  server web-1 127.0.0.1:${web1.port} disabled`,
        `  server web-2 127.0.0.1:${web2.port} disabled`,
        '',
      ].join('\n'),
    );
    const started = startProcess('haproxy', ['-f', configFile, '-db']);
    haproxy = started.child;
    await waitForFile(socketPath, started.child, started.output);

    config = { type: 'haproxy', serverId: 1, backend: 'be_shop', socketPath, drainSeconds: 5 };
    target = { application: { id: 1, name: 'shop' }, server: localServer, config };
    loadBalancer = new RemoteLoadBalancer(new LocalShellExecutor(), new SystemClock());
  });

  afterAll(async () => {
    await stopProcess(haproxy);
    await Promise.all(Object.values(backends ?? {}).map((backend) => backend.close()));
    if (dir !== undefined) removeDirectory(dir);
  });

  it('sets servers ready: requests through HAProxy reach both backends', async () => {
    expect(await get(frontendPort)).toMatchObject({ status: 503 });

    await loadBalancer.addToRotation(
      target,
      [members['web-1'], members['web-2']],
      [members['web-1'], members['web-2']],
    );

    expect(await bodiesOf(frontendPort)).toEqual(['backend-1', 'backend-2']);
  });

  it('drains one: once removal returns, requests reach only the remaining backend', async () => {
    await loadBalancer.removeFromRotation(target, [members['web-2']], [members['web-1']]);

    expect(await bodiesOf(frontendPort, 12)).toEqual(['backend-2']);
    await loadBalancer.addToRotation(target, [members['web-1'], members['web-2']], [members['web-1']]);
    expect(await bodiesOf(frontendPort)).toEqual(['backend-1', 'backend-2']);
  });

  it('puts back a member HAProxy holds in maintenance (as after a restart) on the next addition', async () => {
    execFileSync('socat', ['stdio', `UNIX-CONNECT:${config.socketPath}`], {
      input: 'set server be_shop/web-1 state maint\n',
    });
    expect(await bodiesOf(frontendPort, 12)).toEqual(['backend-2']);

    await loadBalancer.removeFromRotation(target, [members['web-1']], [members['web-2']]);
    await loadBalancer.addToRotation(target, [members['web-1'], members['web-2']], [members['web-2']]);

    expect(await bodiesOf(frontendPort)).toEqual(['backend-1', 'backend-2']);
  });

  /** Starts a slow request and returns the name of the server HAProxy sent it to. */
  async function holdSlowRequest(): Promise<{
    holder: 'web-1' | 'web-2';
    reply: Promise<{ status: number; body: string }>;
  }> {
    const reply = get(frontendPort, '/slow');
    const holder = await waitFor('a backend to hold the slow request', () =>
      backends['web-1'].slowInFlight > 0 ? 'web-1' : backends['web-2'].slowInFlight > 0 ? 'web-2' : undefined,
    );
    return { holder, reply };
  }

  it('waits until the drained server has no current session', async () => {
    const { holder, reply } = await holdSlowRequest();
    const other = holder === 'web-1' ? 'web-2' : 'web-1';

    const startedAt = Date.now();
    let returnedAt: number | undefined;
    const removal = loadBalancer
      .removeFromRotation(target, [members[other]], [members[holder]])
      .then(() => (returnedAt = Date.now()));

    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(returnedAt).toBeUndefined();
    expect(await bodiesOf(frontendPort)).toEqual([backends[other].name]);

    backends[holder].releaseSlow();
    expect(await reply).toEqual({ status: 200, body: backends[holder].name });
    await removal;
    expect(returnedAt! - startedAt).toBeGreaterThanOrEqual(800);
    expect(returnedAt! - startedAt).toBeLessThan(3000);

    await loadBalancer.addToRotation(target, [members['web-1'], members['web-2']], [members[holder]]);
  });

  it('stops waiting after drainSeconds while a session is still open', async () => {
    const { holder, reply } = await holdSlowRequest();
    const other = holder === 'web-1' ? 'web-2' : 'web-1';

    const startedAt = Date.now();
    await loadBalancer.removeFromRotation(
      targetWith({ drainSeconds: 0.5 }),
      [members[other]],
      [members[holder]],
    );
    const elapsed = Date.now() - startedAt;

    expect(elapsed).toBeGreaterThanOrEqual(500);
    expect(elapsed).toBeLessThan(2500);
    expect(backends[holder].slowInFlight).toBe(1);
    backends[holder].releaseSlow();
    expect(await reply).toMatchObject({ status: 200 });

    await loadBalancer.addToRotation(target, [members['web-1'], members['web-2']], [members[holder]]);
  });

  it('reports HAProxy’s own answer for a server it does not know', async () => {
    const stranger: RotationMember = { serverId: 9, serverName: 'web-9', host: '127.0.0.1', port: 1 };

    const failure = await loadBalancer.addToRotation(target, [stranger], [stranger]).catch((e: Error) => e);

    expect(failure).toEqual(
      new LoadBalancerError(
        'haproxy load balancer on local-lb: ready failed: be_shop/web-9: No such server.',
      ),
    );
  });

  it('reports a socket nobody listens on', async () => {
    const missing = targetWith({ socketPath: join(dir, 'missing.sock') });

    await expect(loadBalancer.removeFromRotation(missing, [], [members['web-1']])).rejects.toThrow(
      /^haproxy load balancer on local-lb: drain failed: exit 1: .*missing\.sock.*No such file or directory$/s,
    );
  });
});
