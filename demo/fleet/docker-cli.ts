import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { CliError, type FlagSpec, parseFlags, requirePositionals } from './cli-flags';
import { renderTemplate } from './go-template';
import {
  type Container,
  type ContainerRuntime,
  type ImageReference,
  imageIdOf,
  type PortBinding,
} from './runtime';

export interface CommandOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CommandContext {
  /** The shell's working directory, for relative `--env-file` paths. */
  cwd: string;
  /** Told about each change (pull, run, stop, rm, rename, start); never given env values. */
  onChange: (summary: string) => void;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\\d+)?/)';
const REFERENCE = new RegExp(`^${DOMAIN}?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?$`);
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

class Output {
  stdout = '';
  stderr = '';
  out(line: string): void {
    this.stdout += line.endsWith('\n') ? line : `${line}\n`;
  }
  err(line: string): void {
    this.stderr += line.endsWith('\n') ? line : `${line}\n`;
  }
}

/**
 * Answers a docker CLI command line as Docker 24's CLI would for the commands Rollout issues (and a few a
 * person tries by hand): the same exit codes (125 for the CLI's own errors), stdout and stderr.
 */
export async function runDockerCommand(
  runtime: ContainerRuntime,
  argv: readonly string[],
  context: CommandContext,
): Promise<CommandOutput> {
  const output = new Output();
  try {
    await dispatch(runtime, argv, context, output);
    return { exitCode: 0, stdout: output.stdout, stderr: output.stderr };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    output.err(error.message);
    return { exitCode: error.exitCode, stdout: output.stdout, stderr: output.stderr };
  }
}

type Handler = (
  runtime: ContainerRuntime,
  argv: string[],
  context: CommandContext,
  output: Output,
) => Promise<void> | void;

const COMMANDS: Record<string, Handler> = {
  pull: pullCommand,
  run: runCommand,
  start: startCommand,
  stop: stopCommand,
  rm: rmCommand,
  rename: renameCommand,
  inspect: (r, a, _c, o) => inspectCommand(r, a, o, undefined),
  ps: psCommand,
  logs: logsCommand,
  version: versionCommand,
  info: infoCommand,
  images: imagesCommand,
};

const GROUPS: Record<string, Record<string, Handler>> = {
  container: {
    ...COMMANDS,
    inspect: (r, a, _c, o) => inspectCommand(r, a, o, 'container'),
    ls: psCommand,
  },
  image: {
    pull: pullCommand,
    inspect: (r, a, _c, o) => inspectCommand(r, a, o, 'image'),
    ls: imagesCommand,
  },
};

async function dispatch(
  runtime: ContainerRuntime,
  argv: readonly string[],
  context: CommandContext,
  output: Output,
) {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help') {
    output.out('Usage:  docker [OPTIONS] COMMAND\n\nA simulated Docker CLI of the Rollout demo fleet.');
    return;
  }
  const group = GROUPS[first];
  if (group) {
    const [command, ...args] = rest;
    const handler = command === undefined ? undefined : group[command];
    if (!handler)
      throw new CliError(
        `docker: '${first} ${command ?? ''}' is not a docker command.\nSee 'docker --help'`,
        125,
      );
    return handler(runtime, args, context, output);
  }
  const handler = COMMANDS[first];
  if (!handler) throw new CliError(`docker: '${first}' is not a docker command.\nSee 'docker --help'`, 125);
  return handler(runtime, rest, context, output);
}

export function parseReference(text: string, command: string): ImageReference {
  const withoutDigest = text.split('@')[0] ?? text;
  if (!REFERENCE.test(withoutDigest)) {
    const lowercase = /[A-Z]/.test(withoutDigest.split(':')[0] ?? '')
      ? ': repository name must be lowercase'
      : '';
    throw new CliError(`docker: invalid reference format${lowercase}.\nSee 'docker ${command} --help'.`, 125);
  }
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  const repository = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = hasTag ? withoutDigest.slice(colon + 1) : 'latest';
  return { repository, tag, full: `${repository}:${tag}` };
}

async function pullCommand(
  runtime: ContainerRuntime,
  argv: string[],
  context: CommandContext,
  output: Output,
) {
  const flags = parseFlags('pull', argv, [
    { names: ['-q', '--quiet'], key: 'quiet', kind: 'bool' },
    { names: ['-a', '--all-tags'], key: 'all', kind: 'bool' },
    { names: ['--platform'], key: 'platform', kind: 'value' },
  ]);
  requirePositionals('pull', flags.positionals, 1, 1);
  const reference = parseReference(flags.positionals[0] ?? '', 'pull');
  const fresh = await runtime.pull(reference);
  context.onChange(`pull ${reference.full}`);
  if (!flags.bools.has('quiet')) {
    output.out(`${reference.tag}: Pulling from ${reference.repository}`);
    output.out(`Digest: ${imageIdOf(reference)}`);
    output.out(
      `Status: ${fresh ? 'Downloaded newer image for' : 'Image is up to date for'} ${reference.full}`,
    );
  }
  output.out(reference.full);
}

const RUN_FLAGS: FlagSpec[] = [
  { names: ['-d', '--detach'], key: 'detach', kind: 'bool' },
  { names: ['--name'], key: 'name', kind: 'value' },
  { names: ['--restart'], key: 'restart', kind: 'value' },
  { names: ['-p', '--publish'], key: 'publish', kind: 'multi' },
  { names: ['-e', '--env'], key: 'env', kind: 'multi' },
  { names: ['--env-file'], key: 'envFile', kind: 'multi' },
  { names: ['-l', '--label'], key: 'label', kind: 'multi' },
  { names: ['--rm'], key: 'rm', kind: 'bool' },
  { names: ['--init'], key: 'init', kind: 'bool' },
  { names: ['--pull'], key: 'pull', kind: 'value' },
];

async function runCommand(
  runtime: ContainerRuntime,
  argv: string[],
  context: CommandContext,
  output: Output,
) {
  const flags = parseFlags('run', argv, RUN_FLAGS, { interspersed: false });
  requirePositionals('run', flags.positionals, 1);
  if (!flags.bools.has('detach')) {
    throw new CliError(
      "docker: the demo fleet runs containers detached only (-d).\nSee 'docker run --help'.",
      125,
    );
  }
  const imageText = flags.positionals[0] ?? '';
  const reference = parseReference(imageText, 'run');
  const name = flags.values.get('name')?.[0] ?? `demo_${Date.now().toString(36)}`;
  if (!CONTAINER_NAME.test(name)) {
    throw new CliError(
      `docker: Error response from daemon: Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed.\nSee 'docker run --help'.`,
      125,
    );
  }
  const restartPolicy = flags.values.get('restart')?.[0] ?? 'no';
  if (!/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(restartPolicy)) {
    throw new CliError(
      `docker: invalid restart policy format: ${restartPolicy}.\nSee 'docker run --help'.`,
      125,
    );
  }
  const ports = (flags.values.get('publish') ?? []).map(parsePublish);
  // Env files first, then -e: a later value of the same name wins, as the daemon merges them.
  const fromFiles = await Promise.all(
    (flags.values.get('envFile') ?? []).map((file) => readEnvFile(resolvePath(context.cwd, file))),
  );
  const env = lastWins([
    ...fromFiles.flat(),
    ...(flags.values.get('env') ?? []).filter((e) => e.includes('=')),
  ]);
  const labels = Object.fromEntries(
    (flags.values.get('label') ?? []).map((label) => {
      const eq = label.indexOf('=');
      return eq === -1 ? [label, ''] : [label.slice(0, eq), label.slice(eq + 1)];
    }),
  );

  await runtime.exclusive(async () => {
    if (!runtime.images.has(reference.full)) {
      output.err(`Unable to find image '${reference.full}' locally`);
      await runtime.pull(reference);
      output.err(`${reference.tag}: Pulling from ${reference.repository}`);
      output.err(`Status: Downloaded newer image for ${reference.full}`);
    }
    const container = runtime.create({ name, imageText, reference, env, labels, ports, restartPolicy });
    context.onChange(`run ${name} ${reference.full}`);
    try {
      await runtime.start(container);
    } catch (error) {
      if (error instanceof CliError) throw new CliError(`docker: ${error.message}.`, 125);
      throw error;
    }
    output.out(container.id);
  });
}

function parsePublish(spec: string): PortBinding {
  const match = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d*):)?(\d+)(?:\/(tcp|udp))?$/.exec(spec);
  const hostPort = Number(match?.[2] || 0);
  const containerPort = Number(match?.[3]);
  if (!match || hostPort > 65535 || containerPort < 1 || containerPort > 65535) {
    throw new CliError(`docker: Invalid containerPort: ${spec}.\nSee 'docker run --help'.`, 125);
  }
  return { hostIp: match[1] ?? '', hostPort, containerPort, protocol: match[4] ?? 'tcp' };
}

/** `KEY=VALUE` lines taken literally, as docker's CLI reads an env file; `#` lines and blank lines skipped. */
async function readEnvFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CliError(`docker: open ${path}: no such file or directory.\nSee 'docker run --help'.`, 125);
  }
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#') && line.includes('='));
}

function lastWins(entries: string[]): string[] {
  const byName = new Map<string, string>();
  for (const entry of entries) byName.set(entry.slice(0, entry.indexOf('=')), entry);
  return [...byName.values()];
}

async function startCommand(
  runtime: ContainerRuntime,
  argv: string[],
  context: CommandContext,
  output: Output,
) {
  const flags = parseFlags('start', argv, [{ names: ['-a', '--attach'], key: 'attach', kind: 'bool' }]);
  requirePositionals('start', flags.positionals, 1);
  const errors: string[] = [];
  const failed: string[] = [];
  for (const reference of flags.positionals) {
    await runtime.exclusive(async () => {
      try {
        const container = runtime.mustFind(reference);
        await runtime.start(container);
        context.onChange(`start ${container.name}`);
        output.out(reference);
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        errors.push(error.message);
        failed.push(reference);
      }
    });
  }
  if (failed.length > 0)
    throw new CliError(`${errors.join('\n')}\nError: failed to start containers: ${failed.join(', ')}`);
}

async function stopCommand(
  runtime: ContainerRuntime,
  argv: string[],
  context: CommandContext,
  output: Output,
) {
  const flags = parseFlags('stop', argv, [
    { names: ['-t', '--time', '--timeout'], key: 'time', kind: 'value' },
    { names: ['-s', '--signal'], key: 'signal', kind: 'value' },
  ]);
  requirePositionals('stop', flags.positionals, 1);
  const time = flags.values.get('time')?.[0];
  if (time !== undefined && !/^-?\d+$/.test(time)) {
    throw new CliError(
      `invalid argument "${time}" for "-t, --time" flag: strconv.ParseInt: parsing "${time}": invalid syntax\nSee 'docker stop --help'.`,
      125,
    );
  }
  await forEach(flags.positionals, output, (reference) =>
    runtime.exclusive(async () => {
      const container = runtime.mustFind(reference);
      // The simulated app stops at once on SIGTERM, so the grace period never runs out.
      await runtime.stop(container, 0);
      context.onChange(`stop ${container.name}`);
    }),
  );
}

async function rmCommand(runtime: ContainerRuntime, argv: string[], context: CommandContext, output: Output) {
  const flags = parseFlags('rm', argv, [
    { names: ['-f', '--force'], key: 'force', kind: 'bool' },
    { names: ['-v', '--volumes'], key: 'volumes', kind: 'bool' },
  ]);
  requirePositionals('rm', flags.positionals, 1);
  const force = flags.bools.has('force');
  await forEach(flags.positionals, output, (reference) =>
    runtime.exclusive(async () => {
      const container = runtime.find(reference);
      if (!container) {
        // Docker 23+ ignores a missing container under --force.
        if (force) return false;
        throw new CliError(`Error response from daemon: No such container: ${reference}`);
      }
      if (container.status === 'running' && !force) {
        throw new CliError(
          `Error response from daemon: cannot remove container "/${container.name}": container is running: stop the container before removing or force remove`,
        );
      }
      await runtime.remove(container);
      context.onChange(`rm ${container.name}`);
    }),
  );
}

/** Runs `action` for each reference, printing it on success; errors are reported together, exit 1. */
async function forEach(
  references: string[],
  output: Output,
  action: (reference: string) => Promise<unknown>,
) {
  const errors: string[] = [];
  for (const reference of references) {
    try {
      if ((await action(reference)) !== false) output.out(reference);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

async function renameCommand(runtime: ContainerRuntime, argv: string[], context: CommandContext) {
  const flags = parseFlags('rename', argv, []);
  requirePositionals('rename', flags.positionals, 2, 2);
  const [from = '', to = ''] = flags.positionals;
  await runtime.exclusive(() => {
    const container = runtime.mustFind(from);
    if (!CONTAINER_NAME.test(to)) {
      throw new CliError(
        `Error response from daemon: Invalid container name (${to}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    }
    runtime.rename(container, to);
    context.onChange(`rename ${from} → ${to}`);
  });
}

async function inspectCommand(
  runtime: ContainerRuntime,
  argv: string[],
  output: Output,
  forcedType: 'container' | 'image' | undefined,
) {
  const flags = parseFlags('inspect', argv, [
    { names: ['-f', '--format'], key: 'format', kind: 'value' },
    { names: ['--type'], key: 'type', kind: 'value' },
    { names: ['-s', '--size'], key: 'size', kind: 'bool' },
  ]);
  requirePositionals('inspect', flags.positionals, 1);
  const type = forcedType ?? flags.values.get('type')?.[0];
  if (type !== undefined && type !== 'container' && type !== 'image') {
    throw new CliError(`"${type}" is not a valid value for --type`);
  }
  const format = flags.values.get('format')?.[0];
  const found: object[] = [];
  const missing: string[] = [];
  await runtime.exclusive(() => {
    for (const reference of flags.positionals) {
      const container = type === 'image' ? undefined : runtime.find(reference);
      const image = container || type === 'container' ? undefined : findImage(runtime, reference);
      const object = container ? containerObject(runtime, container) : image;
      if (object) found.push(object);
      else missing.push(`Error: No such ${type ?? 'object'}: ${reference}`);
    }
  });
  if (format === undefined) output.out(JSON.stringify(found, null, 4));
  else for (const object of found) output.out(renderTemplate(format, object));
  if (missing.length > 0) throw new CliError(missing.join('\n'));
}

function findImage(runtime: ContainerRuntime, text: string): object | undefined {
  for (const [full, image] of runtime.images) {
    const matches =
      image.id === text ||
      image.id === `sha256:${text}` ||
      (REFERENCE.test(text) && parseReference(text, 'inspect').full === full);
    if (matches) {
      return {
        Id: image.id,
        RepoTags: [full],
        RepoDigests: [],
        Created: image.created,
        Os: 'linux',
        Architecture: 'amd64',
        Config: {
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          Cmd: ['node', 'app.js'],
        },
      };
    }
  }
  return undefined;
}

function containerObject(runtime: ContainerRuntime, c: Container): object {
  const running = c.status === 'running';
  const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  const exposed: Record<string, object> = {};
  for (const p of c.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (portBindings[key] ??= []).push({
      HostIp: p.hostIp,
      HostPort: p.hostPort === 0 ? '' : String(p.hostPort),
    });
  }
  const livePorts: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  if (running) {
    for (const p of c.ports) {
      livePorts[`${p.containerPort}/${p.protocol}`] = [
        { HostIp: runtime.options.address, HostPort: String(c.boundPort ?? p.hostPort) },
      ];
    }
  }
  return {
    Id: c.id,
    Created: c.created,
    Path: 'node',
    Args: ['app.js'],
    State: {
      Status: c.status,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: running ? 1000 + (parseInt(c.id.slice(0, 4), 16) % 30000) : 0,
      ExitCode: c.exitCode,
      Error: '',
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
    },
    Image: c.imageId,
    Name: `/${c.name}`,
    RestartCount: 0,
    HostConfig: {
      PortBindings: portBindings,
      RestartPolicy: {
        Name: c.restartPolicy.split(':')[0],
        MaximumRetryCount: Number(c.restartPolicy.split(':')[1] ?? 0),
      },
    },
    Config: {
      Hostname: c.id.slice(0, 12),
      Image: c.imageText,
      Env: [...c.env, 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['node', 'app.js'],
      ExposedPorts: exposed,
      Labels: c.labels,
    },
    NetworkSettings: { Ports: livePorts },
  };
}

function psCommand(runtime: ContainerRuntime, argv: string[], _context: CommandContext, output: Output) {
  const flags = parseFlags('ps', argv, [
    { names: ['-a', '--all'], key: 'all', kind: 'bool' },
    { names: ['-q', '--quiet'], key: 'quiet', kind: 'bool' },
    { names: ['-f', '--filter'], key: 'filter', kind: 'multi' },
    { names: ['--format'], key: 'format', kind: 'value' },
    { names: ['--no-trunc'], key: 'noTrunc', kind: 'bool' },
  ]);
  requirePositionals('ps', flags.positionals, 0, 0);
  const filters = (flags.values.get('filter') ?? []).map(parseFilter);
  const rows = runtime
    .all()
    .filter((c) => flags.bools.has('all') || c.status === 'running')
    .filter((c) => filters.every((filter) => filter(c)))
    .slice()
    .sort((a, b) => Date.parse(b.created) - Date.parse(a.created))
    .map((c) => psRow(runtime, c, flags.bools.has('noTrunc')));
  if (flags.bools.has('quiet')) {
    for (const row of rows) output.out(row.ID ?? '');
    return;
  }
  let format = flags.values.get('format')?.[0] ?? 'table';
  if (format === 'table')
    format = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
  format = format.replace(/\\t/g, '\t');
  if (format.startsWith('table')) {
    format = format.replace(/^table\s*/, '');
    const titles: Record<string, string> = {
      ID: 'CONTAINER ID',
      RunningFor: 'CREATED',
      CreatedAt: 'CREATED AT',
    };
    output.out(
      format.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, field: string) => titles[field] ?? field.toUpperCase()),
    );
  }
  for (const row of rows) output.out(renderTemplate(format, row));
}

function parseFilter(text: string): (c: Container) => boolean {
  const eq = text.indexOf('=');
  if (eq === -1) {
    throw new CliError(
      `invalid argument "${text}" for "-f, --filter" flag: bad format of filter (expected name=value)`,
      125,
    );
  }
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  switch (key) {
    case 'name':
      return (c) => c.name.includes(value.replace(/^\//, ''));
    case 'id':
      return (c) => c.id.startsWith(value);
    case 'status':
      return (c) => c.status === value;
    case 'ancestor':
      return (c) => c.imageText === value || c.reference.full === value;
    case 'label': {
      const at = value.indexOf('=');
      return at === -1
        ? (c) => value in c.labels
        : (c) => c.labels[value.slice(0, at)] === value.slice(at + 1);
    }
    default:
      throw new CliError(`Error response from daemon: invalid filter '${key}'`);
  }
}

function psRow(runtime: ContainerRuntime, c: Container, noTrunc: boolean): Record<string, string> {
  const now = Date.now();
  const status =
    c.status === 'running'
      ? `Up ${duration(now - Date.parse(c.startedAt))}`
      : c.status === 'exited'
        ? `Exited (${c.exitCode}) ${duration(now - Date.parse(c.finishedAt))} ago`
        : 'Created';
  const ports =
    c.status === 'running'
      ? c.ports
          .map(
            (p) =>
              `${runtime.options.address}:${c.boundPort ?? p.hostPort}->${p.containerPort}/${p.protocol}`,
          )
          .join(', ')
      : '';
  return {
    ID: noTrunc ? c.id : c.id.slice(0, 12),
    Image: c.imageText,
    Command: '"node app.js"',
    CreatedAt: c.created,
    RunningFor: `${duration(now - Date.parse(c.created))} ago`,
    Ports: ports,
    State: c.status,
    Status: status,
    Names: c.name,
    Labels: Object.entries(c.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  };
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s < 60) return s === 1 ? '1 second' : `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m < 60) return m === 1 ? 'About a minute' : `${m} minutes`;
  const h = Math.round(m / 60);
  return h === 1 ? 'About an hour' : `${h} hours`;
}

async function logsCommand(
  runtime: ContainerRuntime,
  argv: string[],
  _context: CommandContext,
  output: Output,
) {
  const flags = parseFlags('logs', argv, [
    { names: ['-n', '--tail'], key: 'tail', kind: 'value' },
    { names: ['-t', '--timestamps'], key: 'timestamps', kind: 'bool' },
  ]);
  requirePositionals('logs', flags.positionals, 1, 1);
  const container = runtime.mustFind(flags.positionals[0] ?? '');
  const tail = flags.values.get('tail')?.[0];
  const lines = tail === undefined || tail === 'all' ? container.logs : container.logs.slice(-Number(tail));
  for (const line of lines) output.out(flags.bools.has('timestamps') ? line : line.replace(/^\S+ /, ''));
  return Promise.resolve();
}

function versionCommand(
  _runtime: ContainerRuntime,
  argv: string[],
  _context: CommandContext,
  output: Output,
) {
  const flags = parseFlags('version', argv, [{ names: ['-f', '--format'], key: 'format', kind: 'value' }]);
  const info = {
    Client: { Version: '24.0.7', ApiVersion: '1.43', Os: 'linux', Arch: 'amd64' },
    Server: { Version: '24.0.7', ApiVersion: '1.43', Os: 'linux', Arch: 'amd64' },
  };
  const format = flags.values.get('format')?.[0];
  output.out(
    format !== undefined
      ? renderTemplate(format, info)
      : `Client:\n Version:           24.0.7\n API version:       1.43\n\nServer: Rollout demo fleet (simulated)\n Engine:\n  Version:          24.0.7\n  API version:      1.43`,
  );
  return Promise.resolve();
}

function infoCommand(runtime: ContainerRuntime, argv: string[], _context: CommandContext, output: Output) {
  const flags = parseFlags('info', argv, [{ names: ['-f', '--format'], key: 'format', kind: 'value' }]);
  const all = runtime.all();
  const info = {
    Containers: all.length,
    ContainersRunning: all.filter((c) => c.status === 'running').length,
    ContainersStopped: all.filter((c) => c.status !== 'running').length,
    Images: runtime.images.size,
    ServerVersion: '24.0.7',
    Name: runtime.options.serverName,
    OperatingSystem: 'Rollout demo fleet (simulated)',
  };
  const format = flags.values.get('format')?.[0];
  output.out(format !== undefined ? renderTemplate(format, info) : JSON.stringify(info, null, 2));
  return Promise.resolve();
}

function imagesCommand(runtime: ContainerRuntime, argv: string[], _context: CommandContext, output: Output) {
  const flags = parseFlags('images', argv, [{ names: ['-q', '--quiet'], key: 'quiet', kind: 'bool' }]);
  requirePositionals('images', flags.positionals, 0, 1);
  if (!flags.bools.has('quiet')) output.out('REPOSITORY\tTAG\tIMAGE ID');
  for (const [full, image] of runtime.images) {
    const colon = full.lastIndexOf(':');
    const id = image.id.slice('sha256:'.length, 'sha256:'.length + 12);
    output.out(flags.bools.has('quiet') ? id : `${full.slice(0, colon)}\t${full.slice(colon + 1)}\t${id}`);
  }
  return Promise.resolve();
}
