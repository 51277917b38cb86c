import { UsageError } from './errors';
import { loadBalancerBody } from './load-balancer-options';

const ids = (reference: string) => ({ lb: 9, 'web-9': 9 })[reference] ?? Number.NaN;

describe('--lb options', () => {
  it('defaults to none', () => {
    expect(loadBalancerBody({ lb: 'none' }, ids)).toEqual({ type: 'none' });
  });

  it("builds each type under the contract's field names, the server by name", () => {
    expect(
      loadBalancerBody(
        {
          lb: 'traefik',
          lbServer: 'web-9',
          lbConfigPath: '/dyn/shop.yaml',
          lbDomain: 'shop.test',
          lbDrainSeconds: 2,
        },
        ids,
      ),
    ).toEqual({
      type: 'traefik',
      serverId: 9,
      configPath: '/dyn/shop.yaml',
      domain: 'shop.test',
      drainSeconds: 2,
    });
    expect(
      loadBalancerBody(
        { lb: 'nginx', lbServer: 'web-9', lbConfigPath: '/etc/nginx/conf.d/shop.conf', lbListenPort: 80 },
        ids,
      ),
    ).toEqual({ type: 'nginx', serverId: 9, configPath: '/etc/nginx/conf.d/shop.conf', listenPort: 80 });
    expect(loadBalancerBody({ lb: 'haproxy', lbServer: 'web-9', lbBackend: 'shop' }, ids)).toEqual({
      type: 'haproxy',
      serverId: 9,
      backend: 'shop',
    });
  });

  it('names what a type needs and what it does not take', () => {
    expect(() => loadBalancerBody({ lb: 'traefik', lbServer: 'web-9' }, ids)).toThrow(
      '--lb traefik needs --lb-config-path, --lb-domain',
    );
    expect(() => loadBalancerBody({ lb: 'none', lbDomain: 'shop.test' }, ids)).toThrow(
      '--lb none does not take --lb-domain',
    );
    expect(() =>
      loadBalancerBody({ lb: 'haproxy', lbServer: 'web-9', lbBackend: 'b', lbDomain: 'd' }, ids),
    ).toThrow('--lb haproxy does not take --lb-domain');
    expect(() => loadBalancerBody({ lb: 'caddy' }, ids)).toThrow(UsageError);
  });
});
