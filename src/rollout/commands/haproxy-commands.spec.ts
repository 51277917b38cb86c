import {
  haproxyName,
  haproxyRuntime,
  haproxyServerRef,
  moveAccepted,
  moveLines,
  runtimeAnswers,
  setStateLine,
  showStat,
} from './haproxy-commands';
import { UnsafeConfigValueError } from './proxy-names';
import { shellJoin } from './shell';

const SOCKET = '/run/haproxy/admin.sock';

describe('HAProxy runtime commands', () => {
  describe('haproxyRuntime', () => {
    it('sends one command per line to the admin socket through socat', () => {
      const command = haproxyRuntime('/run/haproxy/admin.sock', ['set server be_shop/web-1 state drain']);
      expect(shellJoin(command.argv)).toBe('socat stdio UNIX-CONNECT:/run/haproxy/admin.sock');
      expect(command.stdin).toBe('set server be_shop/web-1 state drain\n');
    });

    it.each([
      'run/admin.sock',
      '/run/admin,fork.sock',
      '/run/a b.sock',
      '/run/x:y.sock',
      '/run/x!y.sock',
      '/run/../haproxy/admin.sock',
      '/run/haproxy/admin.sock/',
      '/run/hаproxy.sock', // a Cyrillic "а"
      `/run/${'s'.repeat(103)}`, // 108 bytes: one more than sun_path holds with its NUL
    ])('rejects the socket path %j, which socat would parse as options', (socketPath) => {
      expect(() => haproxyRuntime(socketPath, ['show stat'])).toThrow('not a usable HAProxy socket path');
    });

    it.each(['show stat; shutdown sessions server be/web-1', 'show stat\nshow info'])(
      'rejects %j, which would smuggle in a second command',
      (runtimeCommand) => {
        expect(() => haproxyRuntime('/run/haproxy/admin.sock', [runtimeCommand])).toThrow(
          'one HAProxy runtime command',
        );
      },
    );

    it('accepts the longest socket path sun_path holds', () => {
      const socketPath = `/run/${'s'.repeat(102)}`;
      expect(socketPath).toHaveLength(107);
      expect(haproxyRuntime(socketPath, ['show stat']).argv[2]).toBe(`UNIX-CONNECT:${socketPath}`);
    });

    it('needs a command', () => {
      expect(() => haproxyRuntime('/run/haproxy/admin.sock', [])).toThrow('at least one runtime command');
    });
  });

  describe('runtime lines', () => {
    it.each([
      ['be_shop', 'web-1', 'drain', 'set server be_shop/web-1 state drain\n'],
      ['be_shop', 'web-1', 'ready', 'set server be_shop/web-1 state ready\n'],
      ['shop.v2', 'web:eu-1', 'drain', 'set server shop.v2/web:eu-1 state drain\n'],
    ] as const)('%s/%s → %s: one line on the socket', (backend, server, state, stdin) => {
      const command = haproxyRuntime(SOCKET, [setStateLine(backend, server, state)]);
      expect(shellJoin(command.argv)).toBe('socat stdio UNIX-CONNECT:/run/haproxy/admin.sock');
      expect(command.stdin).toBe(stdin);
    });

    it('sends several commands on one connection, one per line', () => {
      const command = haproxyRuntime(SOCKET, [
        setStateLine('be_shop', 'web-1', 'drain'),
        setStateLine('be_shop', 'web-2', 'drain'),
        'show stat be_shop 4 -1',
      ]);
      expect(command.stdin).toBe(
        'set server be_shop/web-1 state drain\nset server be_shop/web-2 state drain\nshow stat be_shop 4 -1\n',
      );
    });

    it('moves a server to an IP address and port and keeps it ready; a host name or a bad port is refused', () => {
      expect(moveLines('be_shop', 'web-1', '10.0.0.1', 8081)).toEqual([
        'set server be_shop/web-1 addr 10.0.0.1 port 8081',
        'set server be_shop/web-1 state ready',
      ]);
      expect(() => moveLines('be_shop', 'web-1', 'web1.internal', 8081)).toThrow(UnsafeConfigValueError);
      expect(() => moveLines('be_shop', 'web-1', '10.0.0.1', 70000)).toThrow('not a port: 70000');
    });

    it.each([
      [
        "IP changed from '10.0.0.1' to '10.0.0.1', port changed from '8080' to '8081' by 'stats socket command'",
        true,
      ],
      ["no need to change the addr, no need to change the port by 'stats socket command'", true],
      ['No such server.', false],
      ['', false],
      ["IP changed from 'a' to 'b'\nNo such server.", false],
    ])('takes %j as an accepted move: %s', (answer, accepted) => {
      expect(moveAccepted(answer)).toBe(accepted);
    });

    it('splits the answers of commands sent on one connection at the empty line that ends each', () => {
      const csv = '# pxname,svname,scur\nbe_shop,web-1,0\nbe_shop,web-2,3';
      expect(runtimeAnswers(`\nNo such server.\n\n${csv}\n\n`, 3)).toEqual(['', 'No such server.', csv]);
      expect(runtimeAnswers('\r\n\r\n', 2)).toEqual(['', '']);
      // cut short: one answer of two, or an answer without its end, is no answer
      expect(runtimeAnswers('\n', 2)).toBeNull();
      expect(runtimeAnswers('Permission denied', 1)).toBeNull();
    });

    it('asks for the backend servers (type 4) of every process (-1) in show stat', () => {
      const command = showStat(SOCKET, 'be_shop');
      expect(shellJoin(command.argv)).toBe('socat stdio UNIX-CONNECT:/run/haproxy/admin.sock');
      expect(command.stdin).toBe('show stat be_shop 4 -1\n');
    });

    it('names one server of a backend as backend/server', () => {
      expect(haproxyServerRef('be_shop', 'web-1')).toBe('be_shop/web-1');
    });

    it.each(['', 'be shop', 'be/shop', 'be;shop', 'be\nshop', 'bé'])(
      'refuses the name %j with an UnsafeConfigValueError, before the socket path is looked at',
      (name) => {
        expect(() => haproxyName(name)).toThrow(
          new UnsafeConfigValueError(`not a valid HAProxy name: ${JSON.stringify(name)}`),
        );
        expect(() => setStateLine('be_shop', name, 'drain')).toThrow(UnsafeConfigValueError);
        expect(() => showStat('relative.sock', name)).toThrow(UnsafeConfigValueError);
      },
    );
  });
});
