import { FixedClock } from '../../../test/fakes/fixed-clock';
import { RecordingExecutor } from '../../../test/fakes/recording-executor';
import { serverTarget } from '../../../test/fakes/server-targets';
import {
  LoadBalancerError,
  LoadBalancerTarget,
  RotationMember,
} from '../../rollout/ports/load-balancer.port';
import { RemoteConnectionError } from '../../rollout/ports/remote-executor.port';
import { RemoteLoadBalancer } from './remote-load-balancer';

const lbServer = serverTarget(9, { name: 'lb', privateKey: 'unused' });
const target: LoadBalancerTarget = {
  application: { id: 1, name: 'shop' },
  server: lbServer,
  config: {
    type: 'traefik',
    serverId: 9,
    configPath: '/data/coolify/proxy/dynamic/shop.yaml',
    domain: 'shop.example.com',
    drainSeconds: 5,
  },
};
const web1: RotationMember = { serverId: 1, serverName: 'web-1', host: '10.0.0.1', port: 8080 };
const web2: RotationMember = { serverId: 2, serverName: 'web-2', host: '10.0.0.2', port: 8080 };

const WRITE =
  `lb: sh -c 'mkdir -p -- "$(dirname -- "$2")" && cat > "$1" && mv -f -- "$1" "$2" || { rm -f -- "$1"; exit 1; }' ` +
  'sh /data/coolify/proxy/dynamic/.shop.yaml.rollout-tmp /data/coolify/proxy/dynamic/shop.yaml';

describe('Traefik load balancer', () => {
  let executor: RecordingExecutor;
  let clock: FixedClock;
  let loadBalancer: RemoteLoadBalancer;

  beforeEach(() => {
    executor = new RecordingExecutor();
    clock = new FixedClock();
    loadBalancer = new RemoteLoadBalancer(executor, clock);
  });

  it('removal writes the remaining instances atomically, then waits for the throttle and drainSeconds', async () => {
    await loadBalancer.removeFromRotation(target, [web2], [web1]);

    expect(executor.lines()).toEqual([WRITE]);
    expect(executor.commands[0]?.stdin).toContain('- url: http://10.0.0.2:8080\n');
    expect(executor.commands[0]?.stdin).not.toContain('10.0.0.1');
    expect(clock.sleeps).toEqual([2000 + 5000]);
  });

  it('honours fractional drainSeconds', async () => {
    await loadBalancer.removeFromRotation(
      { ...target, config: { ...target.config, drainSeconds: 0.25 } },
      [web2],
      [web1],
    );
    expect(clock.sleeps).toEqual([2250]);
  });

  it('addition writes every instance and does not wait', async () => {
    await loadBalancer.addToRotation(target, [web1, web2], [web1]);

    expect(executor.lines()).toEqual([WRITE]);
    expect(executor.commands[0]?.stdin).toContain(
      '- url: http://10.0.0.1:8080\n          - url: http://10.0.0.2:8080\n',
    );
    expect(clock.sleeps).toEqual([]);
  });

  it('removing the last instance leaves no router and no service', async () => {
    await loadBalancer.removeFromRotation(target, [], [web1]);
    expect(executor.commands[0]?.stdin).toBe('# Managed by Rollout — changes are overwritten\nhttp: {}\n');
  });

  it('a removal with nobody leaving does not wait', async () => {
    await loadBalancer.removeFromRotation(target, [web1], []);
    expect(executor.lines()).toEqual([WRITE]);
    expect(clock.sleeps).toEqual([]);
  });

  it('a failed write is a LoadBalancerError with the step and the output, and nothing is waited for', async () => {
    executor.when('rollout-tmp', { exitCode: 1, stderr: 'mv: cannot move: Read-only file system\n' });

    const removal = loadBalancer.removeFromRotation(target, [web2], [web1]);

    await expect(removal).rejects.toThrow(LoadBalancerError);
    await expect(removal).rejects.toThrow(
      'traefik load balancer on lb: write failed: exit 1: mv: cannot move: Read-only file system',
    );
    expect(clock.sleeps).toEqual([]);
  });

  it('an unreachable load balancer host is a LoadBalancerError too', async () => {
    executor.when('rollout-tmp', new RemoteConnectionError('lb', 'lb: connect ETIMEDOUT 10.0.0.9:22'));
    await expect(loadBalancer.addToRotation(target, [web1], [web1])).rejects.toThrow(
      new LoadBalancerError('traefik load balancer on lb: write failed: lb: connect ETIMEDOUT 10.0.0.9:22'),
    );
  });

  it('rejects a domain that would break out of the rule before touching the host', async () => {
    const hostile = { ...target, config: { ...target.config, domain: 'a.example`) || Host(`b.example' } };
    await expect(loadBalancer.addToRotation(hostile, [web1], [web1])).rejects.toThrow(
      new LoadBalancerError(
        'traefik load balancer: configuration rejected: not a valid domain name: "a.example`) || Host(`b.example"',
      ),
    );
    expect(executor.commands).toEqual([]);
  });
});
