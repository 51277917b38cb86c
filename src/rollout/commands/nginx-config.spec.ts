import type { RotationMember } from '../ports/load-balancer.port';
import { nginxUpstreamName, renderNginxConfig } from './nginx-config';

const member = (serverId: number, host: string, port = 8080): RotationMember => ({
  serverId,
  serverName: `web-${serverId}`,
  host,
  port,
});

describe('renderNginxConfig', () => {
  it('renders an upstream of every instance in rotation and a server block proxying to it', () => {
    const text = renderNginxConfig({
      application: { id: 1, name: 'shop' },
      listenPort: 80,
      domain: 'shop.example.com',
      members: [member(1, '10.0.0.1'), member(2, '10.0.0.2'), member(3, 'fd00::3', 9000)],
    });
    expect(text).toBe(`# Managed by Rollout — changes are overwritten
upstream rollout_shop-1 {
    server 10.0.0.1:8080;
    server 10.0.0.2:8080;
    server [fd00::3]:9000;
    keepalive 16;
}

server {
    listen 80;
    server_name shop.example.com;

    location / {
        proxy_pass http://rollout_shop-1;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_next_upstream error timeout http_502 http_503 non_idempotent;
    }
}
`);
  });

  it('leaves out server_name when there is no domain', () => {
    const text = renderNginxConfig({
      application: { id: 1, name: 'shop' },
      listenPort: 8000,
      domain: null,
      members: [member(1, '10.0.0.1')],
    });
    expect(text).not.toContain('server_name');
    expect(text).toContain('\nserver {\n    listen 8000;\n\n    location / {\n');
  });

  it('answers 503 from a lone server block while nothing is in rotation', () => {
    expect(
      renderNginxConfig({
        application: { id: 1, name: 'shop' },
        listenPort: 80,
        domain: 'shop.example.com',
        members: [],
      }),
    ).toBe(`# Managed by Rollout — changes are overwritten
server {
    listen 80;
    server_name shop.example.com;

    location / {
        return 503;
    }
}
`);
  });

  it('names the upstream after the sanitized application name and its id', () => {
    expect(nginxUpstreamName({ id: 1, name: 'Shop API' })).toBe('rollout_shop-api-1');
    expect(nginxUpstreamName({ id: 2, name: 'Shop API' })).toBe('rollout_shop-api-2');
    const text = renderNginxConfig({
      application: { id: 1, name: 'Shop API' },
      listenPort: 80,
      domain: null,
      members: [member(1, '10.0.0.1')],
    });
    expect(text).toContain('upstream rollout_shop-api-1 {');
    expect(text).toContain('proxy_pass http://rollout_shop-api-1;');
  });

  it.each([
    [{ domain: 'shop.example.com; include /etc/passwd' }, 'not a valid domain name'],
    [{ listenPort: 0 }, 'listenPort is not a valid port: 0'],
    [{ members: [member(1, '10.0.0.1;')] }, 'server web-1: not a valid host'],
  ])('rejects %j instead of writing it into the file', (override, message) => {
    const input = {
      application: { id: 1, name: 'shop' },
      listenPort: 80,
      domain: null,
      members: [member(1, '10.0.0.1')],
      ...override,
    };
    expect(() => renderNginxConfig(input)).toThrow(message);
  });
});
