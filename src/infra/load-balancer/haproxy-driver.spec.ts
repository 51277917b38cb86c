import { FixedClock } from '../../../test/fakes/fixed-clock';
import { RecordingExecutor } from '../../../test/fakes/recording-executor';
import { serverTarget } from '../../../test/fakes/server-targets';
import {
  LoadBalancerError,
  LoadBalancerTarget,
  RotationMember,
} from '../../rollout/ports/load-balancer.port';
import type { CommandResult } from '../../rollout/ports/remote-executor.port';
import { RemoteLoadBalancer } from './remote-load-balancer';

const lbServer = serverTarget(9, { name: 'lb', privateKey: 'unused' });
const target: LoadBalancerTarget = {
  application: { id: 1, name: 'shop' },
  server: lbServer,
  config: {
    type: 'haproxy',
    serverId: 9,
    backend: 'be_shop',
    socketPath: '/run/haproxy/admin.sock',
    drainSeconds: 1,
  },
};
const web1: RotationMember = { serverId: 1, serverName: 'web-1', host: '10.0.0.1', port: 8080 };
const web2: RotationMember = { serverId: 2, serverName: 'web-2', host: '10.0.0.2', port: 8080 };
const web3: RotationMember = { serverId: 3, serverName: 'web-3', host: '10.0.0.3', port: 8080 };

const SOCAT = 'lb: socat stdio UNIX-CONNECT:/run/haproxy/admin.sock';
const SHOW_STAT = 'show stat be_shop 4 -1\n';

function showStat(sessions: Record<string, number>): string {
  const rows = Object.entries(sessions).map(([name, scur]) => `be_shop,${name},0,0,${scur},9,,40,DRAIN`);
  return ['# pxname,svname,qcur,qmax,scur,smax,slim,stot,status', ...rows, '', ''].join('\n');
}

describe('HAProxy load balancer', () => {
  let executor: RecordingExecutor;
  let clock: FixedClock;
  let loadBalancer: RemoteLoadBalancer;
  let statAnswers: string[];

  /** Every runtime command goes to the same socat line; the command itself is on stdin. */
  const runtimeCommands = (): string[] => executor.commands.map((command) => command.stdin ?? '');
  const answerRuntime = (answer: (stdin: string) => Partial<CommandResult>) =>
    executor.when('UNIX-CONNECT', () => answer(executor.commands.at(-1)?.stdin ?? ''));

  beforeEach(() => {
    executor = new RecordingExecutor();
    clock = new FixedClock();
    loadBalancer = new RemoteLoadBalancer(executor, clock);
    statAnswers = [];
    // Each `set` line is accepted (an empty line); a `show stat` line gets the next of `statAnswers`.
    answerRuntime((stdin) => ({
      stdout: stdin
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          if (!line.startsWith('show stat')) return '\n';
          const answer = statAnswers.length > 1 ? statAnswers.shift() : statAnswers[0];
          return answer ?? '';
        })
        .join(''),
    }));
  });

  it('removal drains each leaving server, then polls show stat until their sessions reach 0', async () => {
    statAnswers = [
      showStat({ 'web-1': 2, 'web-2': 1 }),
      showStat({ 'web-1': 1, 'web-2': 0 }),
      showStat({ 'web-1': 0, 'web-2': 0 }),
    ];

    await loadBalancer.removeFromRotation(target, [web3], [web1, web2]);

    expect(executor.lines()).toEqual([SOCAT, SOCAT, SOCAT]);
    expect(runtimeCommands()).toEqual([
      `set server be_shop/web-1 state drain\nset server be_shop/web-2 state drain\n${SHOW_STAT}`,
      SHOW_STAT,
      SHOW_STAT,
    ]);
    expect(clock.sleeps).toEqual([250, 250]);
  });

  it('returns at once when the leaving server has no session', async () => {
    statAnswers = [showStat({ 'web-1': 0, 'web-2': 3 })];

    await loadBalancer.removeFromRotation(target, [web2], [web1]);

    expect(runtimeCommands()).toEqual([`set server be_shop/web-1 state drain\n${SHOW_STAT}`]);
    expect(clock.sleeps).toEqual([]);
  });

  it('stops waiting once drainSeconds have passed, even with sessions left', async () => {
    statAnswers = [showStat({ 'web-1': 4 })];
    const started = clock.now().getTime();

    await loadBalancer.removeFromRotation(
      { ...target, config: { ...target.config, drainSeconds: 0.6 } },
      [web2],
      [web1],
    );

    expect(clock.sleeps).toEqual([250, 250, 100]);
    expect(clock.now().getTime() - started).toBe(600);
    // the first read went with the drain itself
    expect(runtimeCommands().filter((stdin) => stdin.endsWith(SHOW_STAT))).toHaveLength(4);
  });

  it('addition sets every joining server ready and reads show stat in one exec, and waits for nothing', async () => {
    statAnswers = [showStat({ 'web-1': 3, 'web-2': 0, 'web-3': 0 }).replace(/DRAIN/g, 'UP')];

    await loadBalancer.addToRotation(target, [web1, web2, web3], [web2, web3]);

    expect(executor.lines()).toEqual([SOCAT]);
    expect(runtimeCommands()).toEqual([
      `set server be_shop/web-2 state ready\nset server be_shop/web-3 state ready\n${SHOW_STAT}`,
    ]);
    expect(clock.sleeps).toEqual([]);
  });

  it('addition also sets ready a member in rotation that HAProxy holds in MAINT or DRAIN (restart, crash)', async () => {
    statAnswers = [
      [
        '# pxname,svname,qcur,qmax,scur,smax,slim,stot,status',
        'be_shop,web-1,0,0,0,0,,0,MAINT',
        'be_shop,web-2,0,0,0,0,,0,UP',
        'be_shop,web-3,0,0,0,0,,0,DRAIN',
        'be_shop,BACKEND,0,0,0,0,,0,UP',
        '',
        '',
      ].join('\n'),
    ];

    await loadBalancer.addToRotation(target, [web1, web2, web3], [web2]);

    expect(runtimeCommands()).toEqual([
      `set server be_shop/web-2 state ready\n${SHOW_STAT}`,
      'set server be_shop/web-1 state ready\nset server be_shop/web-3 state ready\n',
    ]);
  });

  it('a failed show stat after the joining servers are ready does not fail the addition', async () => {
    statAnswers = ['No such proxy.\n\n'];

    await expect(loadBalancer.addToRotation(target, [web1, web2], [web2])).resolves.toBeUndefined();
    expect(runtimeCommands()).toEqual([`set server be_shop/web-2 state ready\n${SHOW_STAT}`]);
  });

  it('an addition where every member joins reads no show stat', async () => {
    await loadBalancer.addToRotation(target, [web1, web2], [web1, web2]);
    expect(runtimeCommands()).toEqual([
      'set server be_shop/web-1 state ready\nset server be_shop/web-2 state ready\n',
    ]);
  });

  it('a removal with nobody leaving sends nothing', async () => {
    await loadBalancer.removeFromRotation(target, [web1], []);
    expect(executor.commands).toEqual([]);
  });

  it.each([
    ['No such server.', 'drain'],
    ['No such backend.', 'drain'],
    ['Permission denied', 'drain'],
  ])(
    'the answer %j to a drain names that server in a LoadBalancerError, and nothing follows',
    async (answer, step) => {
      answerRuntime(() => ({ stdout: `\n${answer}\n\n${showStat({ 'web-1': 0, 'web-3': 0 })}` }));

      await expect(loadBalancer.removeFromRotation(target, [web2], [web1, web3])).rejects.toThrow(
        new LoadBalancerError(`haproxy load balancer on lb: ${step} failed: be_shop/web-3: ${answer}`),
      );
      expect(runtimeCommands()).toEqual([
        `set server be_shop/web-1 state drain\nset server be_shop/web-3 state drain\n${SHOW_STAT}`,
      ]);
    },
  );

  it('an answer cut short is a LoadBalancerError, never a drain taken as done', async () => {
    answerRuntime(() => ({ stdout: '\n' }));

    await expect(loadBalancer.removeFromRotation(target, [web2], [web1, web3])).rejects.toThrow(
      new LoadBalancerError(
        'haproxy load balancer on lb: drain failed: HAProxy did not answer all 3 commands: (no output)',
      ),
    );
  });

  it('a start-first move points every moved line at its new port and keeps it ready, in one exec', async () => {
    const moved = (m: RotationMember) =>
      `IP changed from '${m.host}' to '${m.host}', port changed from '8080' to '8081' by 'stats socket command'\n\n\n`;
    answerRuntime(() => ({ stdout: moved(web1) + moved(web2) }));

    await loadBalancer.moveInRotation(
      target,
      [web1, web2, web3],
      [
        { ...web1, port: 8081 },
        { ...web2, port: 8081 },
      ],
    );

    expect(runtimeCommands()).toEqual([
      'set server be_shop/web-1 addr 10.0.0.1 port 8081\nset server be_shop/web-1 state ready\n' +
        'set server be_shop/web-2 addr 10.0.0.2 port 8081\nset server be_shop/web-2 state ready\n',
    ]);
    expect(clock.sleeps).toEqual([1000]);
  });

  it('a move HAProxy refuses for one line names that line', async () => {
    answerRuntime(() => ({
      stdout:
        "no need to change the addr, no need to change the port by 'stats socket command'\n\n\nNo such server.\n\n\n",
    }));

    await expect(
      loadBalancer.moveInRotation(target, [web1, web2], [web1, { ...web2, port: 8081 }]),
    ).rejects.toThrow(
      new LoadBalancerError('haproxy load balancer on lb: set addr failed: be_shop/web-2: No such server.'),
    );
    expect(clock.sleeps).toEqual([]);
  });

  it('an error answer to ready names the ready step', async () => {
    answerRuntime(() => ({ stdout: 'No such server.\n\n' }));

    await expect(loadBalancer.addToRotation(target, [web1], [web1])).rejects.toThrow(
      new LoadBalancerError('haproxy load balancer on lb: ready failed: be_shop/web-1: No such server.'),
    );
  });

  it('a show stat without the server or a header is a LoadBalancerError with the answer', async () => {
    statAnswers = ['No such proxy.\n\n'];
    await expect(loadBalancer.removeFromRotation(target, [web2], [web1])).rejects.toThrow(
      new LoadBalancerError(
        'haproxy load balancer on lb: show stat failed: no "# pxname,…" header in the show stat output: No such proxy.',
      ),
    );

    statAnswers = [showStat({ 'web-2': 0 })];
    await expect(loadBalancer.removeFromRotation(target, [web2], [web1])).rejects.toThrow(
      'haproxy load balancer on lb: show stat failed: show stat lists no server be_shop/web-1',
    );
  });

  it('an unreachable socket is a LoadBalancerError with socat’s message', async () => {
    executor.when('UNIX-CONNECT', {
      exitCode: 1,
      stderr: 'socat[812] E connect(, AF=1 "/run/haproxy/admin.sock", 25): No such file or directory\n',
    });

    await expect(loadBalancer.removeFromRotation(target, [web2], [web1])).rejects.toThrow(
      new LoadBalancerError(
        'haproxy load balancer on lb: drain failed: exit 1: ' +
          'socat[812] E connect(, AF=1 "/run/haproxy/admin.sock", 25): No such file or directory',
      ),
    );
  });

  it.each([
    [
      { backend: 'be_shop;shutdown sessions' },
      [web1],
      'not a valid HAProxy name: "be_shop;shutdown sessions"',
    ],
    [{}, [{ ...web1, serverName: 'web 1' }], 'not a valid HAProxy name: "web 1"'],
    [{ socketPath: '/run/haproxy/admin.sock,fork' }, [web1], 'not a usable HAProxy socket path'],
  ])('rejects %j / %j before sending anything', async (override, leaving, message) => {
    const unsafe = { ...target, config: { ...target.config, ...override } };
    const removal = loadBalancer.removeFromRotation(unsafe, [], leaving);
    await expect(removal).rejects.toThrow(LoadBalancerError);
    await expect(removal).rejects.toThrow(message);
    expect(executor.commands).toEqual([]);
  });
});
