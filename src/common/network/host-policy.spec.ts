import { isCidr } from '../../config/app-config';
import {
  DEFAULT_SERVER_HOST_DENYLIST,
  hostKey,
  HostPolicy,
  hostRegistrationProblem,
  parseHost,
} from './host-policy';

describe('parseHost', () => {
  it.each([
    // IPv4 in every spelling inet_aton (and so getaddrinfo) accepts
    ['169.254.169.254', '169.254.169.254'],
    ['2852039166', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['0XA9FEA9FE', '169.254.169.254'],
    ['0251.0376.0251.0376', '169.254.169.254'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254'],
    ['169.254.43518', '169.254.169.254'],
    ['169.16689662', '169.254.169.254'],
    ['0251.0xfe.169.0376', '169.254.169.254'],
    ['169.254.169.254.', '169.254.169.254'],
    ['0', '0.0.0.0'],
    ['127.1', '127.0.0.1'],
    ['4294967295', '255.255.255.255'],
    ['00000000000000000000000177.0.0.1', '127.0.0.1'],
    // IPv6, canonical lower case with zeros compressed
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['FE80:0:0:0:0:0:0:1', 'fe80::1'],
    ['::ffff:169.254.169.254', '::ffff:a9fe:a9fe'],
    ['[::FFFF:A9FE:A9FE]', '::ffff:a9fe:a9fe'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', '::ffff:a9fe:a9fe'],
    ['64:ff9b::169.254.169.254', '64:ff9b::a9fe:a9fe'],
  ])('reads %s as the address %s', (host, address) => {
    expect(parseHost(host)).toEqual({
      kind: 'address',
      address,
      family: address.includes(':') ? 6 : 4,
      zone: null,
    });
  });

  it.each([
    ['fe80::1%eth0', 'fe80::1', 'eth0'],
    ['[fe80::1%25]', 'fe80::1', '25'],
  ])('keeps the zone of %s', (host, address, zone) => {
    expect(parseHost(host)).toEqual({ kind: 'address', address, family: 6, zone });
  });

  it.each([
    ['localhost', 'localhost'],
    ['LocalHost.', 'localhost.'],
    ['web-1.internal.example', 'web-1.internal.example'],
    ['169.254.169.254.nip.io', '169.254.169.254.nip.io'],
    ['0xg', '0xg'],
    ['1e5', '1e5'],
    ['deadbeef', 'deadbeef'],
    ['host_1.lan', 'host_1.lan'],
  ])('leaves the name %s to the resolver', (host, name) => {
    expect(parseHost(host)).toEqual({ kind: 'name', name });
  });

  it.each([
    ['', 'is empty or too long'],
    ['a'.repeat(256), 'is empty or too long'],
    ['1.2.3.256', 'looks like an IPv4 address but is not a valid one'],
    ['1.2.3.4.5', 'looks like an IPv4 address but is not a valid one'],
    ['4294967296', 'looks like an IPv4 address but is not a valid one'],
    ['1.2.65536', 'looks like an IPv4 address but is not a valid one'],
    ['0x', 'looks like an IPv4 address but is not a valid one'],
    ['1.0x.1', 'looks like an IPv4 address but is not a valid one'],
    ['08.1.1.1', 'looks like an IPv4 address but is not a valid one'],
    ['0x1g.1.1.1', 'looks like an IPv4 address but is not a valid one'],
    ['1..1', 'looks like an IPv4 address but is not a valid one'],
    ['example.123', 'looks like an IPv4 address but is not a valid one'],
    ['-1', 'is neither an IP address nor a host name'],
    ['1.2.3.4 ', 'is neither an IP address nor a host name'],
    ['a b', 'is neither an IP address nor a host name'],
    ['user@host', 'is neither an IP address nor a host name'],
    ['-oProxyCommand=x', 'is neither an IP address nor a host name'],
    ['.', 'is neither an IP address nor a host name'],
    ['1.2.3.4..', 'is neither an IP address nor a host name'],
    ['a..b', 'is neither an IP address nor a host name'],
    ['[127.0.0.1]', 'has brackets around something that is not an IPv6 address'],
    ['[localhost]', 'has brackets around something that is not an IPv6 address'],
    ['[::1', 'has brackets around something that is not an IPv6 address'],
    ['::1]', 'has brackets around something that is not an IPv6 address'],
    ['[[::1]]', 'has brackets around something that is not an IPv6 address'],
    ['fe80::1%', 'contains ":" but is not an IPv6 address'],
    ['fe80::1%a%b', 'contains ":" but is not an IPv6 address'],
    ['fe80::1%eth 0', 'contains ":" but is not an IPv6 address'],
    ['1.2.3.4:22', 'contains ":" but is not an IPv6 address'],
    [':::1', 'contains ":" but is not an IPv6 address'],
  ])('refuses %j: it %s', (host, reason) => {
    expect(parseHost(host)).toEqual({ kind: 'invalid', reason });
  });

  it('keys a host by what it means', () => {
    expect(hostKey('0x7f000001')).toBe('127.0.0.1');
    expect(hostKey('[::1]')).toBe('::1');
    expect(hostKey('LOCALHOST')).toBe('localhost');
    expect(hostKey('fe80::1%lo')).toBe('fe80::1%lo');
  });
});

describe('HostPolicy', () => {
  const metadata = new HostPolicy();
  const mixed = new HostPolicy(['127.0.73.0/24', 'fd00:ec2::254/128', '10.0.0.0/8', '::ffff:192.0.2.0/120']);

  it('denies the link-local range by default, and the default is a valid CIDR list', () => {
    expect(DEFAULT_SERVER_HOST_DENYLIST).toEqual(['169.254.0.0/16']);
    expect(DEFAULT_SERVER_HOST_DENYLIST.every(isCidr)).toBe(true);
  });

  it.each([
    ['169.254.169.254', '169.254.0.0/16'],
    ['169.254.0.0', '169.254.0.0/16'],
    ['169.254.255.255', '169.254.0.0/16'],
    ['::ffff:169.254.169.254', '169.254.0.0/16'],
    ['::ffff:a9fe:101', '169.254.0.0/16'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', '169.254.0.0/16'],
    ['64:ff9b::a9fe:a9fe', '169.254.0.0/16'],
    ['64:ff9b::169.254.1.1', '169.254.0.0/16'],
    ['169.253.255.255', null],
    ['169.255.0.0', null],
    ['10.0.0.5', null],
    ['::1', null],
    ['::169.254.169.254', null],
    ['fe80::1', null],
    ['2001:db8::a9fe:a9fe', null],
    ['::ffff:1:a9fe:a9fe', null],
  ])('default: %s → %s', (address, rule) => {
    expect(metadata.deniedBy(address)).toBe(rule);
  });

  it.each([
    ['127.0.73.11', '127.0.73.0/24'],
    ['::ffff:127.0.73.200', '127.0.73.0/24'],
    ['127.0.74.1', null],
    ['fd00:ec2::254', 'fd00:ec2::254/128'],
    ['FD00:EC2:0::254', 'fd00:ec2::254/128'],
    ['fd00:ec2::253', null],
    ['10.255.0.1', '10.0.0.0/8'],
    ['192.0.2.7', '::ffff:192.0.2.0/120'],
    ['192.0.3.7', null],
    ['fe80::1%lo', null],
    ['169.254.169.254', null],
  ])('custom list: %s → %s', (address, rule) => {
    expect(mixed.deniedBy(address)).toBe(rule);
  });

  it('denies nothing with an empty list', () => {
    expect(new HostPolicy([]).deniedBy('169.254.169.254')).toBeNull();
  });

  it('checks a zone-scoped address without its zone', () => {
    expect(new HostPolicy(['fe80::/10']).deniedBy('fe80::1%eth0')).toBe('fe80::/10');
  });

  it('refuses to judge something that is not an address', () => {
    expect(() => metadata.deniedBy('localhost')).toThrow('Not an IP address: localhost');
  });
});

describe('hostRegistrationProblem', () => {
  const policy = new HostPolicy();

  it.each([
    ['169.254.169.254', 'host 169.254.169.254 is inside SERVER_HOST_DENYLIST (169.254.0.0/16)'],
    ['2852039166', 'host 2852039166 (169.254.169.254) is inside SERVER_HOST_DENYLIST (169.254.0.0/16)'],
    ['0xa9fea9fe', 'host 0xa9fea9fe (169.254.169.254) is inside SERVER_HOST_DENYLIST (169.254.0.0/16)'],
    [
      '0251.0376.0251.0376',
      'host 0251.0376.0251.0376 (169.254.169.254) is inside SERVER_HOST_DENYLIST (169.254.0.0/16)',
    ],
    [
      '::ffff:169.254.169.254',
      'host ::ffff:169.254.169.254 (::ffff:a9fe:a9fe) is inside SERVER_HOST_DENYLIST (169.254.0.0/16)',
    ],
    ['1.2.3.999', 'host looks like an IPv4 address but is not a valid one'],
    ['10.0.0.5', null],
    ['2001:db8::1', null],
    // Names are resolved, and checked, when a connection is made.
    ['metadata.google.internal', null],
    ['169.254.169.254.nip.io', null],
  ])('%s → %s', (host, problem) => {
    expect(hostRegistrationProblem(host, policy)).toBe(problem);
  });
});
