import { simpleCommandWords } from '../../demo/fleet/shell-words';
import { shellJoin } from '../../src/rollout/commands/shell';

describe('simpleCommandWords (the demo fleet answers such lines without a shell)', () => {
  it('reads back every argv that shellJoin quotes', () => {
    const argvs = [
      ['docker', 'ps', '-a'],
      ['docker', 'inspect', '--type', 'container', '--format', '{{json .}}', 'shop'],
      ['docker', 'run', '-e', 'NOTE=it\'s a $HOME `x` \\ "y" *', '-e', 'EMPTY=', 'demo/shop:v1'],
      ['docker', 'logs', ''],
      ['docker', 'label=a b\tc\nd'],
    ];
    for (const argv of argvs) expect(simpleCommandWords(shellJoin(argv))).toEqual(argv);
  });

  it('leaves to the shell every line with operators, redirections, expansions or other quoting', () => {
    for (const line of [
      'docker ps && echo ok',
      'docker ps; true',
      'docker ps | cat',
      'docker ps > /tmp/out',
      'docker inspect $NAME',
      'docker inspect "shop"',
      'docker inspect sh*',
      'docker  ps',
      'docker ps # comment',
      'docker ~/x',
      "docker 'unterminated",
      '',
    ]) {
      expect(simpleCommandWords(line)).toBeNull();
    }
  });
});
