import { isDockerImageName, isDockerTag } from '../../common/validation/docker-reference';
import { commandLineEnvProblem, isContainerName } from '../../common/validation/rules';
import type { RemoteCommand } from '../ports';

/**
 * Docker CLI commands as data (argv). Every value is validated here and quoted by the executor
 * through `shellJoin`, so a bad value can never reach a remote shell.
 */
export class InvalidCommandArgument extends Error {
  constructor(field: string, value: string) {
    super(`Invalid ${field}: ${JSON.stringify(value)}`);
    this.name = 'InvalidCommandArgument';
  }
}

/** A secret value refused: the message names the variable and the rule, never the value. */
export class InvalidSecretArgument extends InvalidCommandArgument {
  constructor(key: string, rule: string) {
    super(`secret env ${key}`, '');
    this.message = `Invalid secret env ${key}: ${rule}`;
  }
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[a-z0-9][a-z0-9._-]*$/;

export function imageReference(image: string, tag: string): string {
  if (!isDockerImageName(image)) throw new InvalidCommandArgument('image', image);
  if (!isDockerTag(tag)) throw new InvalidCommandArgument('tag', tag);
  return `${image}:${tag}`;
}

function containerName(name: string): string {
  if (!isContainerName(name)) throw new InvalidCommandArgument('container name', name);
  return name;
}

function port(value: number, field: string): string {
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new InvalidCommandArgument(field, String(value));
  return String(value);
}

function noNul(value: string, field: string): string {
  if (value.includes('\0')) throw new InvalidCommandArgument(field, value);
  return value;
}

/**
 * Where a secret env file lives while `docker run` reads it: an unguessable name in /tmp (128 random bits),
 * so `rm -f` of it can never remove anything else.
 */
const ENV_FILE_PATH = /^\/tmp\/rollout-env-[0-9a-f]{32}$/;
// eslint-disable-next-line no-control-regex
const NOT_ONE_LINE = /[\u0000\r\n]/;
const LONE_SURROGATE = /\p{Cs}/u;

export function envFilePath(randomHex: string): string {
  return envFile(`/tmp/rollout-env-${randomHex}`);
}

function envFile(path: string): string {
  if (!ENV_FILE_PATH.test(path)) throw new InvalidCommandArgument('env file path', path);
  return path;
}

/**
 * `KEY=value` lines as `docker run --env-file` reads them: everything after the first `=` up to the end
 * of the line is the value, unquoted and untrimmed, so a value must be one line of valid Unicode.
 */
export function envFileContent(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([key, value]) => {
      if (!ENV_KEY.test(key)) throw new InvalidCommandArgument('secret env name', key);
      if (NOT_ONE_LINE.test(value))
        throw new InvalidSecretArgument(key, 'a value cannot contain NUL, CR or LF');
      if (LONE_SURROGATE.test(value)) throw new InvalidSecretArgument(key, 'a value must be valid Unicode');
      return `${key}=${value}\n`;
    })
    .join('');
}

export interface ContainerSpec {
  name: string;
  image: string;
  tag: string;
  hostPort: number;
  containerPort: number;
  env: Record<string, string>;
  labels: Record<string, string>;
  restartPolicy?: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  /** An env file written by `docker.writeEnvFile` (read before `-e`, which would override it). */
  envFile?: string;
}

export const docker = {
  pull(image: string, tag: string): RemoteCommand {
    return { argv: ['docker', 'pull', imageReference(image, tag)] };
  },

  /** The local image's id (`sha256:…`), to tell a re-pushed tag from the one a container runs. */
  imageId(image: string, tag: string): RemoteCommand {
    return { argv: ['docker', 'image', 'inspect', '--format', '{{.Id}}', imageReference(image, tag)] };
  },

  /** One JSON object describing the container; exit 1 with "No such container" when it is absent. */
  inspectContainer(name: string): RemoteCommand {
    return {
      argv: ['docker', 'inspect', '--type', 'container', '--format', '{{json .}}', containerName(name)],
    };
  },

  /**
   * Several containers in one call: Docker prints one JSON line per container found, podman one array of
   * them; each missing one is an error line and makes the exit status non-zero (`parseInspectAll`).
   */
  inspectContainers(names: readonly string[]): RemoteCommand {
    return {
      argv: [
        'docker',
        'inspect',
        '--type',
        'container',
        '--format',
        '{{json .}}',
        ...names.map(containerName),
      ],
    };
  },

  run(spec: ContainerSpec): RemoteCommand {
    const env = Object.entries(spec.env).flatMap(([key, value]) => {
      if (!ENV_KEY.test(key)) throw new InvalidCommandArgument('env name', key);
      return ['-e', `${key}=${noNul(value, `env ${key}`)}`];
    });
    // The request-time rule of `env` (it names variables and sizes, never a value).
    const envProblem = commandLineEnvProblem(spec.env);
    if (envProblem !== null) throw new InvalidCommandArgument('env', envProblem);
    const labels = Object.entries(spec.labels).flatMap(([key, value]) => {
      if (!LABEL_KEY.test(key)) throw new InvalidCommandArgument('label', key);
      return ['--label', `${key}=${noNul(value, `label ${key}`)}`];
    });
    return {
      argv: [
        'docker',
        'run',
        '-d',
        '--name',
        containerName(spec.name),
        '--restart',
        spec.restartPolicy ?? 'unless-stopped',
        '-p',
        `${port(spec.hostPort, 'hostPort')}:${port(spec.containerPort, 'containerPort')}`,
        ...(spec.envFile === undefined ? [] : ['--env-file', envFile(spec.envFile)]),
        ...env,
        ...labels,
        imageReference(spec.image, spec.tag),
      ],
    };
  },

  /**
   * Writes secret env to `path` through the command's stdin, so no value is ever on a command line. The
   * file is created with mode 0600 (umask 077) and never through an existing file or link (`set -C`).
   */
  writeEnvFile(path: string, env: Record<string, string>): RemoteCommand {
    return {
      argv: ['sh', '-c', 'umask 077 && set -C && cat > "$1"', 'sh', envFile(path)],
      stdin: envFileContent(env),
    };
  },

  removeEnvFile(path: string): RemoteCommand {
    return { argv: ['rm', '-f', envFile(path)] };
  },

  stop(name: string, timeoutSeconds: number): RemoteCommand {
    return {
      argv: ['docker', 'stop', '-t', String(Math.max(0, Math.round(timeoutSeconds))), containerName(name)],
    };
  },

  start(name: string): RemoteCommand {
    return { argv: ['docker', 'start', containerName(name)] };
  },

  remove(name: string): RemoteCommand {
    return { argv: ['docker', 'rm', '-f', containerName(name)] };
  },

  rename(from: string, to: string): RemoteCommand {
    return { argv: ['docker', 'rename', containerName(from), containerName(to)] };
  },
};

export function previousContainerName(name: string): string {
  return `${name}-previous`;
}

/** The new container of a `start-first` swap while it runs beside the old one, until it takes the name. */
export function nextContainerName(name: string): string {
  return `${name}-next`;
}

export interface ContainerState {
  image: string;
  /** The id of the image the container was created from, without `sha256:`; null when not reported. */
  imageId: string | null;
  running: boolean;
  status: string;
  /** The host port the container publishes (its first binding); null when it publishes none. */
  hostPort: number | null;
}

interface InspectedContainer {
  /** `/shop` from Docker, `shop` from podman. */
  Name?: string;
  Image?: string;
  Config?: { Image?: string };
  State?: { Running?: boolean; Status?: string };
  HostConfig?: { PortBindings?: Record<string, { HostPort?: string }[] | null> | null };
}

function publishedHostPort(container: InspectedContainer): number | null {
  const bindings = Object.values(container.HostConfig?.PortBindings ?? {}).flatMap((list) => list ?? []);
  const port = Number(bindings[0]?.HostPort);
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : null;
}

/**
 * Reads `docker inspect --format '{{json .}}'` output; null when the container does not exist. Docker
 * prints the object on one line; podman's Docker CLI takes `{{json .}}` for its JSON output format and
 * prints an indented array holding the object.
 */
export function parseInspect(result: {
  exitCode: number;
  stdout: string;
  stderr: string;
}): ContainerState | null {
  if (result.exitCode !== 0) {
    if (/no such (container|object)/i.test(result.stderr + result.stdout)) return null;
    throw new Error(`docker inspect failed: ${(result.stderr || result.stdout).trim()}`);
  }
  const [first] = inspectedObjects(result.stdout);
  if (first === undefined) throw new Error(`docker inspect printed no container: ${result.stdout.trim()}`);
  return containerState(first);
}

/**
 * Reads the output of `docker.inspectContainers(names)`: each name's state, or null when it does not exist.
 * Any error other than a missing container throws, and so does a container the output does not account for.
 */
export function parseInspectAll(
  result: { exitCode: number; stdout: string; stderr: string },
  names: readonly string[],
): Map<string, ContainerState | null> {
  if (result.exitCode !== 0 && !/no such (container|object)/i.test(result.stderr + result.stdout))
    throw new Error(`docker inspect failed: ${(result.stderr || result.stdout).trim()}`);
  const found = new Map<string, InspectedContainer>();
  for (const object of inspectedObjects(result.stdout)) {
    if (typeof object.Name === 'string') found.set(object.Name.replace(/^\//, ''), object);
  }
  const states = new Map<string, ContainerState | null>();
  for (const name of names) {
    const object = found.get(name);
    if (object === undefined && result.exitCode === 0)
      throw new Error(`docker inspect printed nothing for ${name}: ${result.stdout.trim()}`);
    states.set(name, object === undefined ? null : containerState(object));
  }
  return states;
}

/** Docker's JSON lines, or podman's one array, as objects. */
function inspectedObjects(stdout: string): InspectedContainer[] {
  const text = stdout.trim();
  if (text === '') return [];
  const parsed = (
    text.startsWith('[')
      ? JSON.parse(text)
      : text
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as unknown)
  ) as unknown;
  const list = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  return list.filter((item): item is InspectedContainer => item !== null && typeof item === 'object');
}

function containerState(parsed: InspectedContainer): ContainerState {
  return {
    image: parsed.Config?.Image ?? '',
    imageId: parsed.Image ? bareImageId(parsed.Image) : null,
    running: parsed.State?.Running === true,
    status: parsed.State?.Status ?? 'unknown',
    hostPort: publishedHostPort(parsed),
  };
}

export function isNoSuchContainer(result: { exitCode: number; stderr: string }): boolean {
  return result.exitCode !== 0 && /no such (container|object)/i.test(result.stderr);
}

/** Splits `registry:5000/repo/name:tag` into image and tag (a reference without a tag means `latest`). */
export function splitReference(reference: string): { image: string; tag: string } {
  const colon = reference.lastIndexOf(':');
  if (colon <= reference.lastIndexOf('/')) return { image: reference, tag: 'latest' };
  return { image: reference.slice(0, colon), tag: reference.slice(colon + 1) };
}

/** Docker writes image ids as `sha256:<hex>`, podman as `<hex>`. */
export function bareImageId(id: string): string {
  return id.trim().replace(/^sha256:/, '');
}

/**
 * `shop:v1` → `docker.io/library/shop:v1`, as Docker resolves a familiar name: podman reports a
 * container's image fully qualified while Docker repeats what `docker run` was given.
 */
export function normalizeReference(reference: string): string {
  const { image, tag } = splitReference(reference);
  const slash = image.indexOf('/');
  const first = slash === -1 ? '' : image.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  if (hasRegistry) return `${image}:${tag}`;
  return `docker.io/${slash === -1 ? `library/${image}` : image}:${tag}`;
}

export function sameReference(a: string, b: string): boolean {
  return normalizeReference(a) === normalizeReference(b);
}
