import { shellJoin } from './shell';
import {
  docker,
  envFileContent,
  envFilePath,
  imageReference,
  normalizeReference,
  parseInspect,
  parseInspectAll,
  sameReference,
  splitReference,
} from './docker-commands';

const line = (command: { argv: string[] }) => shellJoin(command.argv);

describe('docker commands', () => {
  const spec = {
    name: 'shop',
    image: 'registry.local:5000/acme/shop',
    tag: 'v2.1',
    hostPort: 8080,
    containerPort: 3000,
    env: { NODE_ENV: 'production', GREETING: "it's a b" },
    labels: { 'rollout.application': 'shop' },
  };

  it.each([
    [docker.pull('ghcr.io/acme/shop', 'v2'), 'docker pull ghcr.io/acme/shop:v2'],
    [
      docker.imageId('ghcr.io/acme/shop', 'v2'),
      "docker image inspect --format '{{.Id}}' ghcr.io/acme/shop:v2",
    ],
    [docker.inspectContainer('shop'), "docker inspect --type container --format '{{json .}}' shop"],
    [docker.stop('shop', 10), 'docker stop -t 10 shop'],
    [docker.stop('shop', 2.6), 'docker stop -t 3 shop'],
    [docker.start('shop-previous'), 'docker start shop-previous'],
    [docker.remove('shop'), 'docker rm -f shop'],
    [docker.rename('shop', 'shop-previous'), 'docker rename shop shop-previous'],
    [
      docker.run(spec),
      "docker run -d --name shop --restart unless-stopped -p 8080:3000 -e NODE_ENV=production -e 'GREETING=it'\\''s a b' --label rollout.application=shop registry.local:5000/acme/shop:v2.1",
    ],
    [
      docker.run({ ...spec, env: {}, labels: {}, restartPolicy: 'always' }),
      'docker run -d --name shop --restart always -p 8080:3000 registry.local:5000/acme/shop:v2.1',
    ],
  ])('%j', (command, expected) => {
    expect(line(command)).toBe(expected);
  });

  it.each([
    ['image with a shell metacharacter', () => docker.pull('shop;reboot', 'v1'), 'Invalid image'],
    ['uppercase image', () => docker.pull('Acme/Shop', 'v1'), 'Invalid image'],
    ['tag with a space', () => docker.pull('shop', 'v1 && id'), 'Invalid tag'],
    ['tag with $()', () => docker.pull('shop', '$(id)'), 'Invalid tag'],
    ['container name with a slash', () => docker.start('../etc'), 'Invalid container name'],
    ['env name with =', () => docker.run({ ...spec, env: { 'A=B': 'x' } }), 'Invalid env name'],
    ['env value with NUL', () => docker.run({ ...spec, env: { A: 'x\0y' } }), 'Invalid env A'],
    ['port 0', () => docker.run({ ...spec, hostPort: 0 }), 'Invalid hostPort'],
    ['port 70000', () => docker.run({ ...spec, containerPort: 70000 }), 'Invalid containerPort'],
  ])('refuses %s', (_name, build, message) => {
    expect(build).toThrow(message);
  });

  it('builds references only from valid parts', () => {
    expect(imageReference('localhost:5000/shop', 'latest')).toBe('localhost:5000/shop:latest');
  });
});

describe('secret env files', () => {
  const path = envFilePath('0123456789abcdef0123456789abcdef');
  const spec = {
    name: 'shop',
    image: 'ghcr.io/acme/shop',
    tag: 'v2',
    hostPort: 8080,
    containerPort: 3000,
    env: { NODE_ENV: 'production' },
    labels: {},
  };

  it('names the file in /tmp after 32 random hex digits', () => {
    expect(path).toBe('/tmp/rollout-env-0123456789abcdef0123456789abcdef');
  });

  it('writes the values through stdin only, into a new 0600 file', () => {
    const command = docker.writeEnvFile(path, { DB_PASSWORD: "p@ss w'rd $HOME `x` ;", TOKEN: '=a=b' });
    expect(line(command)).toBe(
      `sh -c 'umask 077 && set -C && cat > "$1"' sh /tmp/rollout-env-0123456789abcdef0123456789abcdef`,
    );
    expect(command.stdin).toBe("DB_PASSWORD=p@ss w'rd $HOME `x` ;\nTOKEN==a=b\n");
  });

  it('passes --env-file before the -e flags (which docker applies last) and removes the file by its exact name', () => {
    expect(line(docker.run({ ...spec, envFile: path }))).toBe(
      'docker run -d --name shop --restart unless-stopped -p 8080:3000 --env-file /tmp/rollout-env-0123456789abcdef0123456789abcdef -e NODE_ENV=production ghcr.io/acme/shop:v2',
    );
    expect(line(docker.removeEnvFile(path))).toBe('rm -f /tmp/rollout-env-0123456789abcdef0123456789abcdef');
  });

  it('keeps values byte-exact: leading and trailing spaces, quotes, #, unicode', () => {
    expect(
      envFileContent({ A: '  spaced  ', B: '"quoted"', C: '#not a comment', D: 'clé ✓ 🔑', E: '' }),
    ).toBe('A=  spaced  \nB="quoted"\nC=#not a comment\nD=clé ✓ 🔑\nE=\n');
  });

  it.each([
    ['a path outside the pattern', () => docker.removeEnvFile('/etc/passwd'), 'Invalid env file path'],
    ['a path with a suffix', () => docker.writeEnvFile(`${path}/../x`, {}), 'Invalid env file path'],
    ['a short suffix', () => envFilePath('abc'), 'Invalid env file path'],
    ['an env file elsewhere', () => docker.run({ ...spec, envFile: '/tmp/x' }), 'Invalid env file path'],
    ['a name with =', () => envFileContent({ 'A=B': 'x' }), 'Invalid secret env name'],
    ['a name with a space', () => envFileContent({ 'A B': 'x' }), 'Invalid secret env name'],
  ])('refuses %s', (_name, build, message) => {
    expect(build).toThrow(message);
  });

  it.each([
    ['LF', 'line1\nINJECTED=1'],
    ['CR', 'value\r'],
    ['NUL', 'a\0b'],
    ['a lone surrogate', 'x\ud800y'],
  ])('refuses a value with %s without ever showing it', (_name, value) => {
    const build = () => envFileContent({ DB_PASSWORD: `hunter2-${value}` });
    expect(build).toThrow(/^Invalid secret env DB_PASSWORD: a value /);
    expect(() => build()).not.toThrow(/hunter2/);
  });
});

describe('parseInspect', () => {
  it('reads image and state', () => {
    const stdout = '{"Config":{"Image":"shop:v1"},"State":{"Running":true,"Status":"running"}}\n';
    expect(parseInspect({ exitCode: 0, stdout, stderr: '' })).toEqual({
      image: 'shop:v1',
      imageId: null,
      running: true,
      status: 'running',
      hostPort: null,
    });
  });

  it("reads podman's Docker CLI, which prints `{{json .}}` as an indented array", () => {
    const object = {
      Image: 'c0ffee',
      Config: { Image: 'registry.local:5000/shop:v2' },
      State: { Running: false, Status: 'exited' },
    };
    const stdout = `${JSON.stringify([object], null, 5)}\n`;
    expect(stdout.split('\n').length).toBeGreaterThan(3);
    expect(parseInspect({ exitCode: 0, stdout, stderr: '' })).toEqual({
      image: 'registry.local:5000/shop:v2',
      imageId: 'c0ffee',
      running: false,
      status: 'exited',
      hostPort: null,
    });
  });

  it('reads the host port the container publishes', () => {
    const stdout =
      '{"Config":{"Image":"shop:v1"},"State":{"Running":true},"HostConfig":{"PortBindings":{"3000/tcp":[{"HostIp":"","HostPort":"8081"}]}}}\n';
    expect(parseInspect({ exitCode: 0, stdout, stderr: '' })?.hostPort).toBe(8081);
  });

  it("reads Docker's image id without its sha256: prefix", () => {
    const stdout = '{"Image":"sha256:abc123","Config":{"Image":"shop:v1"},"State":{"Running":true}}\n';
    expect(parseInspect({ exitCode: 0, stdout, stderr: '' })?.imageId).toBe('abc123');
  });

  it('raises an answer without a container', () => {
    expect(() => parseInspect({ exitCode: 0, stdout: '[]\n', stderr: '' })).toThrow('printed no container');
  });

  it('answers null for a missing container', () => {
    expect(parseInspect({ exitCode: 1, stdout: '[]', stderr: 'Error: No such container: shop' })).toBeNull();
    expect(parseInspect({ exitCode: 125, stdout: '', stderr: 'Error: no such object: "shop"' })).toBeNull();
  });

  it('raises other failures with the output', () => {
    expect(() => parseInspect({ exitCode: 1, stdout: '', stderr: 'permission denied' })).toThrow(
      'permission denied',
    );
  });
});

describe('parseInspectAll', () => {
  const shop = {
    Name: '/shop',
    Image: 'sha256:aa',
    Config: { Image: 'img:v2' },
    State: { Running: true, Status: 'running' },
    HostConfig: { PortBindings: { '3000/tcp': [{ HostPort: '8080' }] } },
  };
  const previous = {
    ...shop,
    Name: '/shop-previous',
    Config: { Image: 'img:v1' },
    State: { Running: false, Status: 'exited' },
  };
  const names = ['shop', 'shop-previous'];

  it('reads Docker’s JSON lines, one per container, by name', () => {
    const states = parseInspectAll(
      { exitCode: 0, stdout: `${JSON.stringify(shop)}\n${JSON.stringify(previous)}\n`, stderr: '' },
      names,
    );
    expect(states.get('shop')).toMatchObject({ image: 'img:v2', running: true, hostPort: 8080 });
    expect(states.get('shop-previous')).toMatchObject({ image: 'img:v1', running: false });
  });

  it('takes a missing container as null, in Docker’s and in podman’s words', () => {
    const docker = parseInspectAll(
      {
        exitCode: 1,
        stdout: `${JSON.stringify(shop)}\n`,
        stderr: 'Error: No such container: shop-previous\n',
      },
      names,
    );
    expect(docker.get('shop-previous')).toBeNull();
    expect(docker.get('shop')).toMatchObject({ image: 'img:v2' });
    const podman = parseInspectAll(
      {
        exitCode: 125,
        stdout: JSON.stringify([{ ...previous, Name: 'shop-previous' }], null, 5),
        stderr: 'Error: inspecting object: no such container shop\n',
      },
      names,
    );
    expect(podman.get('shop')).toBeNull();
    expect(podman.get('shop-previous')).toMatchObject({ image: 'img:v1' });
  });

  it('throws on any other error, and on a success that leaves a name unaccounted for', () => {
    expect(() => parseInspectAll({ exitCode: 1, stdout: '', stderr: 'permission denied' }, names)).toThrow(
      'docker inspect failed: permission denied',
    );
    expect(() =>
      parseInspectAll({ exitCode: 0, stdout: `${JSON.stringify(shop)}\n`, stderr: '' }, names),
    ).toThrow('docker inspect printed nothing for shop-previous');
  });

  it('names every container on one command line, each checked', () => {
    expect(shellJoin(docker.inspectContainers(names).argv)).toBe(
      "docker inspect --type container --format '{{json .}}' shop shop-previous",
    );
    expect(() => docker.inspectContainers(['shop', 'shop;rm'])).toThrow('Invalid container name');
  });
});

describe('splitReference', () => {
  it.each([
    ['ghcr.io/acme/shop:v1', { image: 'ghcr.io/acme/shop', tag: 'v1' }],
    ['localhost:5000/shop:v2', { image: 'localhost:5000/shop', tag: 'v2' }],
    ['localhost:5000/shop', { image: 'localhost:5000/shop', tag: 'latest' }],
  ])('%s', (reference, expected) => {
    expect(splitReference(reference)).toEqual(expected);
  });
});

describe('normalizeReference', () => {
  it.each([
    ['shop:v1', 'docker.io/library/shop:v1'],
    ['shop', 'docker.io/library/shop:latest'],
    ['acme/shop:v1', 'docker.io/acme/shop:v1'],
    ['docker.io/library/shop:v1', 'docker.io/library/shop:v1'],
    ['ghcr.io/acme/shop:v1', 'ghcr.io/acme/shop:v1'],
    ['localhost/shop:v1', 'localhost/shop:v1'],
    ['127.0.0.1:5000/acme/shop:v1', '127.0.0.1:5000/acme/shop:v1'],
    ['registry:5000/shop:v1', 'registry:5000/shop:v1'],
  ])('%s → %s', (reference, expected) => {
    expect(normalizeReference(reference)).toBe(expected);
  });

  it('matches what podman reports for a familiar name, and nothing else', () => {
    expect(sameReference('docker.io/library/nginx:1.27', 'nginx:1.27')).toBe(true);
    expect(sameReference('nginx:1.27', 'nginx:1.28')).toBe(false);
    expect(sameReference('ghcr.io/nginx:1.27', 'nginx:1.27')).toBe(false);
  });
});
