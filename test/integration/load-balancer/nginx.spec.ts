import { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SystemClock } from '../../../src/common/clock';
import { RemoteLoadBalancer } from '../../../src/infra/load-balancer';
import { shellJoin } from '../../../src/rollout/commands/shell';
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

jest.setTimeout(15_000);

describe('nginx load balancer against a real nginx', () => {
  let dir: string;
  let nginx: ChildProcess | undefined;
  let nginxOutput: () => string;
  let listenPort: number;
  let backendA: Backend;
  let backendB: Backend;
  let a: RotationMember;
  let b: RotationMember;
  let configPath: string;
  let target: LoadBalancerTarget;
  let executor: LocalShellExecutor;
  let loadBalancer: RemoteLoadBalancer;

  beforeAll(async () => {
    dir = temporaryDirectory('nginx');
    listenPort = await freePort();
    [backendA, backendB] = await Promise.all([startBackend('backend-a'), startBackend('backend-b')]);
    a = { serverId: 1, serverName: 'web-1', host: '127.0.0.1', port: backendA.port };
    b = { serverId: 2, serverName: 'web-2', host: '127.0.0.1', port: backendB.port };

    const nginxConf = join(dir, 'nginx.conf');
    writeFileSync(
      nginxConf,
      [
        'worker_processes 1;',
        'worker_shutdown_timeout 5s;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log;`,
        'events { worker_connections 64; }',
        `http { access_log off; include ${dir}/conf.d/*.conf; }`,
        '',
      ].join('\n'),
    );
    const withConfig = ['-p', `${dir}/`, '-c', nginxConf];
    ({ child: nginx, output: nginxOutput } = startProcess('nginx', [...withConfig, '-g', 'daemon off;']));
    await waitForFile(join(dir, 'nginx.pid'), nginx, nginxOutput);

    configPath = join(dir, 'conf.d', 'shop.conf');
    target = {
      application: { id: 1, name: 'Shop' },
      server: localServer,
      config: {
        type: 'nginx',
        serverId: 1,
        configPath,
        listenPort,
        domain: 'shop.test',
        testCommand: shellJoin(['nginx', '-t', '-q', ...withConfig]),
        reloadCommand: shellJoin(['nginx', '-s', 'reload', ...withConfig]),
        drainSeconds: 0.5,
      },
    };
    executor = new LocalShellExecutor();
    loadBalancer = new RemoteLoadBalancer(executor, new SystemClock());
  });

  afterAll(async () => {
    await stopProcess(nginx);
    await Promise.all([backendA?.close(), backendB?.close()]);
    if (dir !== undefined) removeDirectory(dir);
  });

  const servedBy = (expected: string[]) =>
    waitFor(`nginx to serve from ${expected.join(', ')}`, async () => {
      const bodies = await bodiesOf(listenPort);
      return JSON.stringify(bodies) === JSON.stringify(expected) ? bodies : undefined;
    });

  it('puts instances into rotation: requests through nginx reach both backends', async () => {
    await loadBalancer.addToRotation(target, [a], [a]);
    await servedBy(['backend-a']);

    await loadBalancer.addToRotation(target, [a, b], [b]);
    expect(await servedBy(['backend-a', 'backend-b'])).toEqual(['backend-a', 'backend-b']);
    expect(readdirSync(join(dir, 'conf.d'))).toEqual(['shop.conf']);
  });

  it('takes one out: once removal returns, requests reach only the remaining backend', async () => {
    await loadBalancer.removeFromRotation(target, [b], [a]);

    expect(await bodiesOf(listenPort, 12)).toEqual(['backend-b']);
  });

  it('rolls back a config that fails nginx -t: file restored, no temp file, nginx still serving', async () => {
    const before = readFileSync(configPath, 'utf8');
    const firstLine = executor.lines.length;
    const unresolvable: RotationMember = {
      serverId: 3,
      serverName: 'web-3',
      host: 'web-3.invalid',
      port: 8080,
    };

    const failure = await loadBalancer
      .addToRotation(target, [b, unresolvable], [unresolvable])
      .catch((e: Error) => e);

    expect(failure).toBeInstanceOf(LoadBalancerError);
    expect((failure as Error).message).toMatch(
      /^nginx load balancer on local-lb: test failed: exit 1: .*host not found in upstream "web-3\.invalid:8080".*\(previous file restored\)$/s,
    );
    expect(readFileSync(configPath, 'utf8')).toBe(before);
    expect(readdirSync(join(dir, 'conf.d'))).toEqual(['shop.conf']);
    const issued = executor.lines.slice(firstLine);
    expect(issued).toHaveLength(4);
    expect(issued[2]).toContain('nginx -t');
    expect(issued.filter((line) => line.includes('-s reload'))).toEqual([]);
    expect(await bodiesOf(listenPort)).toEqual(['backend-b']);
  });

  it('with nothing in rotation, answers 503', async () => {
    await loadBalancer.removeFromRotation(target, [], [b]);

    expect(await get(listenPort)).toMatchObject({ status: 503 });
    expect(backendB.slowInFlight).toBe(0);
  });
});
