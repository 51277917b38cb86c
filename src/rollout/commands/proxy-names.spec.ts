import { memberAddress, normalizeDomain, sanitizeApplicationName } from './proxy-names';

describe('names', () => {
  it.each([
    ['shop', 'shop'],
    ['Shop API_v2', 'shop-api-v2'],
    ['  --Shop--  ', 'shop'],
    ['café', 'caf'],
    ['日本', ''],
  ])('sanitizes the application name %j → %s', (name, expected) => {
    expect(sanitizeApplicationName(name)).toBe(expected);
  });

  it.each([
    ['shop.example.com', 'shop.example.com'],
    ['Shop.Example.COM', 'shop.example.com'],
    ['localhost', 'localhost'],
    ['bücher.example', 'xn--bcher-kva.example'],
  ])('normalizes the domain %j → %s', (domain, expected) => {
    expect(normalizeDomain(domain)).toBe(expected);
  });

  it.each([
    '10.0.0.1/evil',
    'a.com/x',
    'a\tb.com',
    'a.com;',
    'a.com}',
    'a.com$host',
    'a..com',
    'a.com.',
    `${'a'.repeat(64)}.com`,
    `${'a.'.repeat(127)}com`,
    'a b.com',
  ])('rejects the domain %j', (domain) => {
    expect(() => normalizeDomain(domain)).toThrow(`not a valid domain name: ${JSON.stringify(domain)}`);
  });

  it.each([
    [{ host: '10.0.0.1', port: 8080 }, '10.0.0.1:8080'],
    [{ host: 'fd00::1', port: 80 }, '[fd00::1]:80'],
    [{ host: 'Web-1.Internal', port: 3000 }, 'web-1.internal:3000'],
    // Numeric spellings as SSH and the probe read them (inet_aton); Traefik would look them up as names.
    [{ host: '0x7f.1', port: 8080 }, '127.0.0.1:8080'],
    [{ host: '2852039166', port: 80 }, '169.254.169.254:80'],
  ])('addresses %j as %s', (address, expected) => {
    expect(memberAddress({ serverId: 1, serverName: 'web-1', ...address })).toBe(expected);
  });

  it.each([
    [{ host: '10.0.0.1 down', port: 8080 }, 'server web-1: not a valid host: "10.0.0.1 down"'],
    [{ host: '10.0.0.1', port: 1.5 }, 'server web-1: port is not a valid port: 1.5'],
    [{ host: '[fd00::1]', port: 80 }, 'server web-1: not a valid host'],
    // A zone: `http://[fe80::1%eth0]:80/` is no URL, and neither nginx nor Traefik takes it as written.
    [{ host: 'fe80::1%eth0', port: 80 }, 'server web-1: not a valid host'],
    [{ host: '310.0.0.5', port: 80 }, 'server web-1: not a valid host'],
  ])('rejects the address %j', (address, message) => {
    expect(() => memberAddress({ serverId: 1, serverName: 'web-1', ...address })).toThrow(message);
  });
});
