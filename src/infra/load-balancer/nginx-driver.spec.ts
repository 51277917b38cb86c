import { FixedClock } from '../../../test/fakes/fixed-clock';
import { RecordingExecutor } from '../../../test/fakes/recording-executor';
import { serverTarget } from '../../../test/fakes/server-targets';
import {
  LoadBalancerError,
  LoadBalancerTarget,
  RotationMember,
} from '../../rollout/ports/load-balancer.port';
import { RemoteLoadBalancer } from './remote-load-balancer';

const lbServer = serverTarget(9, { name: 'lb', privateKey: 'unused' });
const target: LoadBalancerTarget = {
  application: { id: 1, name: 'shop' },
  server: lbServer,
  config: {
    type: 'nginx',
    serverId: 9,
    configPath: '/etc/nginx/conf.d/shop.conf',
    listenPort: 80,
    domain: 'shop.example.com',
    reloadCommand: 'nginx -s reload',
    testCommand: 'nginx -t',
    drainSeconds: 5,
  },
};
const web1: RotationMember = { serverId: 1, serverName: 'web-1', host: '10.0.0.1', port: 8080 };
const web2: RotationMember = { serverId: 2, serverName: 'web-2', host: '10.0.0.2', port: 8080 };

const READ = `lb: sh -c 'if [ -e "$1" ]; then cat -- "$1"; else exit 66; fi' sh /etc/nginx/conf.d/shop.conf`;
const WRITE =
  `lb: sh -c 'mkdir -p -- "$(dirname -- "$2")" && cat > "$1" && mv -f -- "$1" "$2" || { rm -f -- "$1"; exit 1; }' ` +
  'sh /etc/nginx/conf.d/.shop.conf.rollout-tmp /etc/nginx/conf.d/shop.conf';
const TEST_LINE = `sh -c 'nginx -t'`;
const RELOAD_LINE = `sh -c 'nginx -s reload'`;
const TEST = `lb: ${TEST_LINE}`;
const RELOAD = `lb: ${RELOAD_LINE}`;
const REMOVE = 'lb: rm -f -- /etc/nginx/conf.d/shop.conf';
const PREVIOUS = '# the file as it was\n';

describe('nginx load balancer', () => {
  let executor: RecordingExecutor;
  let clock: FixedClock;
  let loadBalancer: RemoteLoadBalancer;

  beforeEach(() => {
    executor = new RecordingExecutor().when('then cat', { stdout: PREVIOUS });
    clock = new FixedClock();
    loadBalancer = new RemoteLoadBalancer(executor, clock);
  });

  it('removal reads the file, replaces it, tests, reloads, then waits drainSeconds', async () => {
    await loadBalancer.removeFromRotation(target, [web2], [web1]);

    expect(executor.lines()).toEqual([READ, WRITE, TEST, RELOAD]);
    expect(executor.commands[1]?.stdin).toContain(
      'upstream rollout_shop-1 {\n    server 10.0.0.2:8080;\n    keepalive 16;\n}',
    );
    expect(clock.sleeps).toEqual([5000]);
  });

  it('addition writes every instance, tests and reloads without waiting', async () => {
    await loadBalancer.addToRotation(target, [web1, web2], [web2]);

    expect(executor.lines()).toEqual([READ, WRITE, TEST, RELOAD]);
    expect(executor.commands[1]?.stdin).toContain('    server 10.0.0.1:8080;\n    server 10.0.0.2:8080;\n');
    expect(clock.sleeps).toEqual([]);
  });

  it('runs the administrator’s own test and reload commands', async () => {
    const custom = {
      ...target,
      config: {
        ...target.config,
        testCommand: 'docker exec proxy nginx -t',
        reloadCommand: 'systemctl reload nginx',
      },
    };
    await loadBalancer.addToRotation(custom, [web1], [web1]);
    expect(executor.lines()).toEqual([
      READ,
      WRITE,
      `lb: sh -c 'docker exec proxy nginx -t'`,
      `lb: sh -c 'systemctl reload nginx'`,
    ]);
  });

  it('a failing test restores the previous file, does not reload and reports nginx’s output', async () => {
    executor.when(TEST_LINE, {
      exitCode: 1,
      stderr:
        'nginx: [emerg] host not found in upstream "web-3.invalid:8080"\nnginx: configuration file test failed\n',
    });

    const removal = loadBalancer.removeFromRotation(target, [web2], [web1]);

    await expect(removal).rejects.toThrow(
      new LoadBalancerError(
        'nginx load balancer on lb: test failed: exit 1: nginx: [emerg] host not found in upstream "web-3.invalid:8080"\n' +
          'nginx: configuration file test failed (previous file restored)',
      ),
    );
    expect(executor.lines()).toEqual([READ, WRITE, TEST, WRITE]);
    expect(executor.commands[3]?.stdin).toBe(PREVIOUS);
    expect(clock.sleeps).toEqual([]);
  });

  it('a failing test removes the file when there was none before', async () => {
    executor.when('then cat', { exitCode: 66 }).when(TEST_LINE, { exitCode: 1, stderr: 'test failed' });

    await expect(loadBalancer.addToRotation(target, [web1], [web1])).rejects.toThrow(
      'nginx load balancer on lb: test failed: exit 1: test failed (previous file restored)',
    );
    expect(executor.lines()).toEqual([READ, WRITE, TEST, REMOVE]);
  });

  it('says so when the restore fails too', async () => {
    executor
      .when(TEST_LINE, { exitCode: 1, stderr: 'test failed' })
      .when(/rollout-tmp/, () => (executor.commands.length > 2 ? { exitCode: 1, stderr: 'disk full' } : {}));

    await expect(loadBalancer.addToRotation(target, [web1], [web1])).rejects.toThrow(
      'nginx load balancer on lb: test failed: exit 1: test failed (restoring the previous file failed too: exit 1: disk full)',
    );
  });

  it('a failing reload restores the previous file and names the reload step', async () => {
    executor.when(RELOAD_LINE, {
      exitCode: 1,
      stderr: 'nginx: [error] invalid PID number "" in "/run/nginx.pid"',
    });

    await expect(loadBalancer.removeFromRotation(target, [web2], [web1])).rejects.toThrow(
      new LoadBalancerError(
        'nginx load balancer on lb: reload failed: exit 1: nginx: [error] invalid PID number "" in "/run/nginx.pid" ' +
          '(previous file restored)',
      ),
    );
    expect(executor.lines()).toEqual([READ, WRITE, TEST, RELOAD, WRITE]);
    expect(clock.sleeps).toEqual([]);
  });

  it('a failing read changes nothing', async () => {
    executor.when('then cat', { exitCode: 1, stderr: 'cat: /etc/nginx/conf.d/shop.conf: Permission denied' });

    await expect(loadBalancer.addToRotation(target, [web1], [web1])).rejects.toThrow(
      'nginx load balancer on lb: read failed: exit 1: cat: /etc/nginx/conf.d/shop.conf: Permission denied',
    );
    expect(executor.lines()).toEqual([READ]);
  });

  it('caps long output at 500 characters', async () => {
    executor.when(TEST_LINE, { exitCode: 1, stderr: 'x'.repeat(2000) });

    const error = await loadBalancer.addToRotation(target, [web1], [web1]).catch((e: Error) => e);
    expect(error).toBeInstanceOf(LoadBalancerError);
    expect((error as Error).message).toBe(
      `nginx load balancer on lb: test failed: exit 1: ${'x'.repeat(500)}… (previous file restored)`,
    );
  });

  it('with nothing in rotation, writes a server block answering 503', async () => {
    await loadBalancer.removeFromRotation(target, [], [web1]);
    expect(executor.commands[1]?.stdin).toContain('        return 503;\n');
    expect(executor.commands[1]?.stdin).not.toContain('upstream');
  });
});
