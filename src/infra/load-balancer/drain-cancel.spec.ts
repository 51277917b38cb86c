import { RecordingExecutor } from '../../../test/fakes/recording-executor';
import { serverTarget } from '../../../test/fakes/server-targets';
import { SystemClock } from '../../common/clock';
import type { LoadBalancerConfig } from '../../rollout/domain';
import type { LoadBalancerTarget, RotationMember } from '../../rollout/ports/load-balancer.port';
import { RemoteLoadBalancer } from './remote-load-balancer';

const HOUR = 3600;
const lbServer = serverTarget(9, { name: 'lb', privateKey: 'unused' });
const web1: RotationMember = { serverId: 1, serverName: 'web-1', host: '10.0.0.1', port: 8080 };
const web2: RotationMember = { serverId: 2, serverName: 'web-2', host: '10.0.0.2', port: 8080 };

const configs = {
  traefik: {
    type: 'traefik',
    serverId: 9,
    configPath: '/data/shop.yaml',
    domain: 'shop.test',
    drainSeconds: HOUR,
  },
  nginx: {
    type: 'nginx',
    serverId: 9,
    configPath: '/etc/nginx/conf.d/shop.conf',
    listenPort: 80,
    domain: null,
    reloadCommand: 'nginx -s reload',
    testCommand: 'nginx -t',
    drainSeconds: HOUR,
  },
  haproxy: {
    type: 'haproxy',
    serverId: 9,
    backend: 'be_shop',
    socketPath: '/run/haproxy/admin.sock',
    drainSeconds: HOUR,
  },
} satisfies Record<string, Exclude<LoadBalancerConfig, { type: 'none' }>>;

/** HAProxy keeps reporting a session on web-1, so only drainSeconds (or a cancel) ends its wait. */
const BUSY_STAT = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,status\nbe_shop,web-1,0,0,1,9,,40,DRAIN\n\n';

describe('a cancel ends the drain wait of every load balancer at once (real clock)', () => {
  it.each(Object.entries(configs))(
    '%s: an hour of drainSeconds ends within a second of the abort',
    async (_type, config) => {
      const executor: RecordingExecutor = new RecordingExecutor().when('UNIX-CONNECT', () => ({
        // each `set` line is accepted with an empty line; `show stat` (alone or after them) stays busy
        stdout: (executor.commands.at(-1)?.stdin ?? '')
          .replace(/^set .*\n/gm, '\n')
          .replace(/^show stat.*\n/m, BUSY_STAT),
      }));
      const loadBalancer = new RemoteLoadBalancer(executor, new SystemClock());
      const target: LoadBalancerTarget = {
        application: { id: 1, name: 'shop' },
        server: lbServer,
        config,
      };
      const cancel = new AbortController();
      setTimeout(() => cancel.abort(), 50);

      const started = Date.now();
      await loadBalancer.removeFromRotation(target, [web2], [web1], cancel.signal);

      expect(Date.now() - started).toBeLessThan(1000);
      // the change itself was applied before the wait
      expect(executor.commands.length).toBeGreaterThan(0);
    },
  );

  it('an already aborted signal skips the wait but not the change', async () => {
    const executor = new RecordingExecutor();
    const loadBalancer = new RemoteLoadBalancer(executor, new SystemClock());
    const target: LoadBalancerTarget = {
      application: { id: 1, name: 'shop' },
      server: lbServer,
      config: configs.traefik,
    };
    const started = Date.now();
    await loadBalancer.removeFromRotation(target, [web2], [web1], AbortSignal.abort());
    expect(Date.now() - started).toBeLessThan(500);
    expect(executor.commands[0]?.stdin).toContain('http://10.0.0.2:8080');
    expect(executor.commands[0]?.stdin).not.toContain('10.0.0.1');
  });
});
