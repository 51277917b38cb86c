import { Test } from '@nestjs/testing';
import { Clock } from '../../common/clock';
import { RemoteExecutor } from '../../rollout/ports/remote-executor.port';
import { FixedClock } from '../../../test/fakes/fixed-clock';
import { RecordingExecutor } from '../../../test/fakes/recording-executor';
import { serverTarget } from '../../../test/fakes/server-targets';
import {
  LoadBalancer,
  LoadBalancerError,
  LoadBalancerTarget,
  RotationMember,
} from '../../rollout/ports/load-balancer.port';
import { NoLoadBalancer } from './no-load-balancer';
import { RemoteLoadBalancer } from './remote-load-balancer';

const lbServer = serverTarget(9, { name: 'lb', privateKey: 'unused' });
const web1: RotationMember = { serverId: 1, serverName: 'web-1', host: '10.0.0.1', port: 8080 };

/** A target as a caller might build it from an application's config, bypassing the port's narrowed type. */
const untypedTarget = (config: unknown): LoadBalancerTarget =>
  ({ application: { id: 1, name: 'shop' }, server: lbServer, config }) as LoadBalancerTarget;

describe('RemoteLoadBalancer', () => {
  let executor: RecordingExecutor;
  let clock: FixedClock;
  let loadBalancer: RemoteLoadBalancer;

  beforeEach(() => {
    executor = new RecordingExecutor();
    clock = new FixedClock();
    loadBalancer = new RemoteLoadBalancer(executor, clock);
  });

  it('is the LoadBalancer port', () => {
    expect(loadBalancer).toBeInstanceOf(LoadBalancer);
  });

  it('is resolved by Nest from the RemoteExecutor and Clock tokens', async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        { provide: RemoteExecutor, useValue: executor },
        { provide: Clock, useValue: clock },
        { provide: LoadBalancer, useClass: RemoteLoadBalancer },
      ],
    }).compile();
    const resolved = moduleRef.get(LoadBalancer);
    expect(resolved).toBeInstanceOf(RemoteLoadBalancer);

    await resolved.removeFromRotation(
      untypedTarget({
        type: 'traefik',
        serverId: 9,
        configPath: '/t/shop.yaml',
        domain: 'a.example',
        drainSeconds: 1,
      }),
      [],
      [web1],
    );
    expect(executor.commands).toHaveLength(1);
    expect(clock.sleeps).toEqual([3000]);
  });

  it('routes by config type', async () => {
    executor.when('UNIX-CONNECT', { stdout: '\n' });
    await loadBalancer.addToRotation(
      untypedTarget({
        type: 'traefik',
        serverId: 9,
        configPath: '/t/shop.yaml',
        domain: 'a.example',
        drainSeconds: 1,
      }),
      [web1],
      [web1],
    );
    await loadBalancer.addToRotation(
      untypedTarget({
        type: 'haproxy',
        serverId: 9,
        backend: 'be',
        socketPath: '/run/a.sock',
        drainSeconds: 1,
      }),
      [web1],
      [web1],
    );
    expect(executor.lines()).toEqual([
      expect.stringMatching(/^lb: sh -c .* sh \/t\/\.shop\.yaml\.rollout-tmp \/t\/shop\.yaml$/),
      'lb: socat stdio UNIX-CONNECT:/run/a.sock',
    ]);
  });

  it('does nothing, safely, for type none', async () => {
    await loadBalancer.removeFromRotation(untypedTarget({ type: 'none' }), [], [web1]);
    await loadBalancer.addToRotation(untypedTarget({ type: 'none' }), [web1], [web1]);
    expect(executor.commands).toEqual([]);
    expect(clock.sleeps).toEqual([]);
  });

  it('refuses an unknown type with a LoadBalancerError', async () => {
    await expect(
      loadBalancer.addToRotation(untypedTarget({ type: 'caddy' }), [web1], [web1]),
    ).rejects.toThrow(new LoadBalancerError('unknown load balancer type "caddy"'));
  });

  it('turns a rejected config path into a LoadBalancerError', async () => {
    const target = untypedTarget({
      type: 'traefik',
      serverId: 9,
      configPath: 'shop.yaml',
      domain: 'a.example',
      drainSeconds: 1,
    });
    await expect(loadBalancer.addToRotation(target, [web1], [web1])).rejects.toThrow(
      new LoadBalancerError('traefik load balancer: not an absolute, normalized file path: "shop.yaml"'),
    );
  });
});

describe('NoLoadBalancer', () => {
  it('is a LoadBalancer that resolves without doing anything', async () => {
    const none = new NoLoadBalancer();
    expect(none).toBeInstanceOf(LoadBalancer);
    await expect(none.removeFromRotation()).resolves.toBeUndefined();
    await expect(none.addToRotation()).resolves.toBeUndefined();
  });
});
