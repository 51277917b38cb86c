import { loadTraefikSchema as loadSchema, traefikValidators } from '../../../test/support/traefik-schemas';
import { parse } from 'yaml';
import type { RotationMember } from '../ports/load-balancer.port';
import { renderTraefikConfig, traefikObjectName } from './traefik-config';

const member = (serverId: number, host: string, port = 8080): RotationMember => ({
  serverId,
  serverName: `web-${serverId}`,
  host,
  port,
});

function draft04OnlyKeywords(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((child) => draft04OnlyKeywords(child, found));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'id' && typeof value === 'string') found.push(key);
      if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value === 'boolean')
        found.push(key);
      draft04OnlyKeywords(value, found);
    }
  }
  return found;
}

const validators = traefikValidators();

function expectValidTraefikDocument(text: string): Record<string, unknown> {
  const document = parse(text) as Record<string, unknown>;
  for (const version of ['v2', 'v3'] as const) {
    const valid = validators[version](document);
    expect({ version, valid, errors: validators[version].errors ?? null }).toEqual({
      version,
      valid: true,
      errors: null,
    });
  }
  expect(JSON.stringify(document)).not.toContain('"servers":[]');
  return document;
}

describe('renderTraefikConfig', () => {
  it('uses the schemas the way the test assumes', () => {
    expect(loadSchema('v3').$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(loadSchema('v2').$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(draft04OnlyKeywords(loadSchema('v2'))).toEqual([]);
  });

  it('the validators reject an empty servers list, so the checks below can fail', () => {
    const invalid = { http: { services: { s: { loadBalancer: { servers: [] } } } } };
    expect(validators.v2(invalid)).toBe(false);
    expect(validators.v3(invalid)).toBe(false);
  });

  it('renders one server', () => {
    const text = renderTraefikConfig({
      application: { id: 1, name: 'shop' },
      domain: 'shop.example.com',
      members: [member(1, '10.0.0.1')],
    });
    expect(text).toBe(
      [
        '# Managed by Rollout — changes are overwritten',
        'http:',
        '  routers:',
        '    rollout-shop-1:',
        '      rule: Host(`shop.example.com`)',
        '      service: rollout-shop-1',
        '  services:',
        '    rollout-shop-1:',
        '      loadBalancer:',
        '        servers:',
        '          - url: http://10.0.0.1:8080',
        '',
      ].join('\n'),
    );
    expectValidTraefikDocument(text);
  });

  it('lists every instance in rotation, in order, with IPv6 hosts in brackets', () => {
    const members = [member(1, '10.0.0.1'), member(2, 'web-2.internal', 9000), member(3, 'fd00::3')];
    const document = expectValidTraefikDocument(
      renderTraefikConfig({ application: { id: 1, name: 'shop' }, domain: 'shop.example.com', members }),
    );
    expect(document).toEqual({
      http: {
        routers: { 'rollout-shop-1': { rule: 'Host(`shop.example.com`)', service: 'rollout-shop-1' } },
        services: {
          'rollout-shop-1': {
            loadBalancer: {
              servers: [
                { url: 'http://10.0.0.1:8080' },
                { url: 'http://web-2.internal:9000' },
                { url: 'http://[fd00::3]:8080' },
              ],
            },
          },
        },
      },
    });
  });

  it('declares no router and no service while nothing is in rotation', () => {
    const text = renderTraefikConfig({
      application: { id: 1, name: 'shop' },
      domain: 'shop.example.com',
      members: [],
    });
    expect(text).toBe('# Managed by Rollout — changes are overwritten\nhttp: {}\n');
    expect(expectValidTraefikDocument(text)).toEqual({ http: {} });
  });

  it('limits the router to the entry points given', () => {
    const document = expectValidTraefikDocument(
      renderTraefikConfig({
        application: { id: 1, name: 'shop' },
        domain: 'shop.example.com',
        members: [member(1, '10.0.0.1')],
        entryPoints: ['websecure'],
      }),
    );
    expect(document).toMatchObject({
      http: { routers: { 'rollout-shop-1': { entryPoints: ['websecure'] } } },
    });
  });

  it.each([
    [{ id: 1, name: 'Shop API_v2' }, 'rollout-shop-api-v2-1'],
    [{ id: 7, name: '--shop--' }, 'rollout-shop-7'],
    [{ id: 12, name: 'shop.example' }, 'rollout-shop-example-12'],
    [{ id: 3, name: '日本' }, 'rollout-app-3'],
  ])('derives names from the application %j → %s', (application, name) => {
    expect(traefikObjectName(application)).toBe(name);
    const document = expectValidTraefikDocument(
      renderTraefikConfig({ application, domain: 'a.example', members: [member(1, '10.0.0.1')] }),
    );
    expect(document).toMatchObject({
      http: { routers: { [name]: { service: name } }, services: { [name]: {} } },
    });
  });

  it('gives two applications of the same name different routers and services', () => {
    expect(traefikObjectName({ id: 1, name: 'shop' })).not.toBe(traefikObjectName({ id: 2, name: 'Shop' }));
  });

  it('writes an internationalized domain as punycode', () => {
    const document = expectValidTraefikDocument(
      renderTraefikConfig({
        application: { id: 1, name: 'shop' },
        domain: 'Bücher.Example',
        members: [member(1, '10.0.0.1')],
      }),
    );
    expect(document).toMatchObject({
      http: { routers: { 'rollout-shop-1': { rule: 'Host(`xn--bcher-kva.example`)' } } },
    });
  });

  it.each([
    'shop.example.com`) || Host(`evil.example',
    'shop example.com',
    '*.example.com',
    'shop_1.example',
    '-a.example',
    '',
  ])('rejects the domain %j rather than escaping it into a rule', (domain) => {
    expect(() =>
      renderTraefikConfig({ application: { id: 1, name: 'shop' }, domain, members: [member(1, '10.0.0.1')] }),
    ).toThrow('not a valid domain name');
  });

  it.each([
    [member(1, '10.0.0.1/evil'), 'not a valid host'],
    [member(1, '10.0.0.1', 0), 'not a valid port'],
    [member(1, '10.0.0.1', 70000), 'not a valid port'],
  ])('rejects an instance address that is not one: %j', (bad, message) => {
    expect(() =>
      renderTraefikConfig({ application: { id: 1, name: 'shop' }, domain: 'a.example', members: [bad] }),
    ).toThrow(message);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects the application id %p', (id) => {
    expect(() =>
      renderTraefikConfig({ application: { id, name: 'shop' }, domain: 'a.example', members: [] }),
    ).toThrow('not a valid application id');
  });
});
