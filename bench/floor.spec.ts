import type { LoggedCommand } from '../test/fleet/fleet';
import { floorHost } from './floor';

const at = (argv: string[], exit = 0): LoggedCommand => ({ start: 1, end: 2, argv, exit });
const IMAGE = 'registry.local/acme/shop';

describe('the floor of one host, from what Rollout ran there', () => {
  const logged = [
    at(['pull', `${IMAGE}:v5`]),
    at(['inspect', '--type', 'container', '--format', '{{json .}}', 'shop', 'shop-previous']),
    at(['rm', '-f', 'shop-previous']),
    at(['stop', '-t', '10', 'shop']),
    at(['rename', 'shop', 'shop-previous']),
    at(['run', '-d', '--name', 'shop', '-p', '8080:3000', '--label', 'rollout.deployment=7', `${IMAGE}:v5`]),
    at(['rename', 'nothing', 'x'], 1),
  ];

  it('stop-first: the pulls, then every changing command after the drain, at the next version', () => {
    const host = floorHost({
      address: '127.0.0.11',
      serverName: 'web-1',
      logged,
      fromTag: 'v5',
      toTag: 'v6',
      order: 'stop-first',
      ports: [8080, 8081],
    });
    expect(host.pull).toEqual([['pull', `${IMAGE}:v6`]]);
    // inspects are Rollout's decisions, a failed command changed nothing: both are its overhead
    expect(host.swap).toEqual([
      ['rm', '-f', 'shop-previous'],
      ['stop', '-t', '10', 'shop'],
      ['rename', 'shop', 'shop-previous'],
      ['run', '-d', '--name', 'shop', '-p', '8080:3000', '--label', 'rollout.deployment=7', `${IMAGE}:v6`],
    ]);
    expect(host.retire).toEqual([]);
    expect(host.port).toBe(8080);
  });

  it('start-first: starts beside on the other port than Rollout used, retires after the move', () => {
    const host = floorHost({
      address: '127.0.0.11',
      serverName: 'web-1',
      logged: [
        at(['pull', `${IMAGE}:v5`]),
        at(['run', '-d', '--name', 'shop-next', '-p', '8081:3000', `${IMAGE}:v5`]),
        at(['rm', '-f', 'shop-previous']),
        at(['stop', '-t', '10', 'shop']),
        at(['rename', 'shop', 'shop-previous']),
        at(['rename', 'shop-next', 'shop']),
      ],
      fromTag: 'v5',
      toTag: 'v6',
      order: 'start-first',
      ports: [8080, 8081],
    });
    expect(host.swap).toEqual([['run', '-d', '--name', 'shop-next', '-p', '8080:3000', `${IMAGE}:v6`]]);
    expect(host.retire).toEqual([
      ['rm', '-f', 'shop-previous'],
      ['stop', '-t', '10', 'shop'],
      ['rename', 'shop', 'shop-previous'],
      ['rename', 'shop-next', 'shop'],
    ]);
    expect(host.port).toBe(8080);
  });

  it('refuses a log without a docker run: there would be nothing to replay', () => {
    expect(() =>
      floorHost({
        address: '127.0.0.11',
        serverName: 'web-1',
        logged: [at(['pull', `${IMAGE}:v5`])],
        fromTag: 'v5',
        toTag: 'v6',
        order: 'stop-first',
        ports: [8080, 8081],
      }),
    ).toThrow("web-1: Rollout's log has no docker run to replay");
  });
});
