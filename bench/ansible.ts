import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * The same stop-first rolling update as Rollout, done by Debian's Ansible (ansible-core 2.14): per batch
 * of `serial` hosts, pull, drain in HAProxy, swap (`docker rm -f/stop/rename/run`, the argv of
 * src/rollout/commands/docker-commands.ts), health check from the controller, ready.
 */
export interface AnsibleRun {
  /** A directory of the caller's (exists, writable) for inventory, playbook, ansible.cfg, logs. */
  workDir: string;
  hosts: { name: string; address: string; port: number }[]; // application hosts; name = HAProxy server name (web-1 …)
  loadBalancerHost: { address: string; port: number }; // a fleet host that can run socat on the socket
  privateKeyPath: string;
  haproxy: { socketPath: string; backend: string };
  batchSize: number; // Ansible's `serial`
  image: string; // e.g. 'registry.local/acme/shop'
  tag: string; // the version to deploy, e.g. 'v7'
  containerName: string; // 'shop'
  hostPort: number; // 8080
  containerPort: number; // 3000
  stopTimeout: number; // docker stop -t
  /** Extra `docker run` words Rollout passed (labels etc.), inserted before the image; default none. */
  runArgs?: string[];
}
export interface AnsibleResult {
  durationMs: number;
  ok: boolean;
  recap: string;
  outputTail: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const IMAGE = /^[a-z0-9][a-z0-9._/:-]*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ADDRESS = /^[A-Za-z0-9.-]+$/;
const PATH = /^\/[A-Za-z0-9_./-]+$/;
const LB = 'rollout-lb';
/** ssh binds `<ControlPath>.<16 random chars>` first; a Unix socket path has at most 107 bytes. */
const MAX_CONTROL_DIR = 107 - 1 - 40 - 17;

function check(field: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) throw new Error(`runAnsible: invalid ${field}: ${JSON.stringify(value)}`);
  return value;
}
function checkInt(field: string, value: number, min: number, max = 65535): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`runAnsible: invalid ${field}: ${value}`);
  return value;
}
/** One shell word; Jinja markers are refused since Ansible templates every task argument. */
function runArg(value: string): string {
  if (/[\0\r\n]|\{\{|\{%|\{#/.test(value))
    throw new Error(`runAnsible: invalid runArgs word: ${JSON.stringify(value)}`);
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function ansibleVersion(): string {
  return execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
}

export async function runAnsible(run: AnsibleRun): Promise<AnsibleResult> {
  const workDir = check('workDir', run.workDir, PATH);
  const key = check('privateKeyPath', run.privateKeyPath, PATH);
  const socket = check('haproxy.socketPath', run.haproxy.socketPath, PATH);
  const backend = check('haproxy.backend', run.haproxy.backend, NAME);
  const name = check('containerName', run.containerName, NAME);
  const reference = `${check('image', run.image, IMAGE)}:${check('tag', run.tag, TAG)}`;
  const ports = `${checkInt('hostPort', run.hostPort, 1)}:${checkInt('containerPort', run.containerPort, 1)}`;
  const stopTimeout = checkInt('stopTimeout', run.stopTimeout, 0, 3600);
  const batchSize = checkInt('batchSize', run.batchSize, 1, 1000);
  if (run.hosts.length === 0) throw new Error('runAnsible: invalid hosts: none given');
  const extra = (run.runArgs ?? []).map(runArg);
  // Rollout's default restart policy (docker.run), unless the caller's words set one.
  const restart = (run.runArgs ?? []).some((w) => w.startsWith('--restart'))
    ? []
    : ['--restart unless-stopped'];
  const sshVars = (address: string, port: number) => ({
    ansible_host: check('address', address, ADDRESS),
    ansible_port: checkInt('port', port, 1),
    ansible_user: 'root',
    ansible_ssh_private_key_file: key,
    ansible_python_interpreter: '/usr/bin/python3',
  });
  const appHosts = Object.fromEntries(
    run.hosts.map((h) => {
      if (check('hosts[].name', h.name, NAME) === LB || h.name === 'localhost')
        throw new Error(`runAnsible: invalid hosts[].name: ${h.name} is reserved`);
      return [h.name, { ...sshVars(h.address, h.port), health_url: `http://${h.address}:${run.hostPort}/` }];
    }),
  );
  const inventory = {
    all: {
      hosts: {
        localhost: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' },
        [LB]: sshVars(run.loadBalancerHost.address, run.loadBalancerHost.port),
      },
      children: { app: { hosts: appHosts } },
    },
  };

  // HAProxy answers a runtime command with an empty line on success, with a message otherwise.
  const lbTask = (state: 'drain' | 'ready') => ({
    name: `HAProxy ${state}`,
    'ansible.builtin.shell': `printf 'set server ${backend}/{{ inventory_hostname }} state ${state}\\n' | socat stdio UNIX-CONNECT:${socket}`,
    delegate_to: LB,
    register: 'lb',
    failed_when: "lb.rc != 0 or (lb.stdout | trim) != ''",
  });
  const swap = [
    'set -e',
    `docker rm -f ${name}-previous >/dev/null 2>&1 || true`,
    `docker stop -t ${stopTimeout} ${name}`,
    `docker rename ${name} ${name}-previous`,
    ['docker run -d --name', name, ...restart, '-p', ports, ...extra, reference].join(' '),
  ].join('\n');
  const playbook = [
    {
      name: 'Rolling update (stop-first)',
      hosts: 'app',
      serial: batchSize,
      strategy: 'linear',
      gather_facts: false,
      max_fail_percentage: 0, // like Rollout: a failed host stops the rollout
      tasks: [
        { name: 'Pull', 'ansible.builtin.shell': `docker pull ${reference}` },
        lbTask('drain'),
        { name: 'Swap', 'ansible.builtin.shell': swap },
        {
          name: 'Health check (from the controller)',
          'ansible.builtin.uri': { url: '{{ health_url }}', use_proxy: false, timeout: 5 },
          delegate_to: 'localhost',
          register: 'health',
          until: 'health.status == 200',
          retries: 150,
          delay: 1, // whole seconds only: Ansible's `delay` is an int (Rollout polls far more often)
        },
        lbTask('ready'),
      ],
    },
  ];

  // ControlPath inside workDir when it fits a Unix socket path, else in a short directory of /tmp.
  const inWorkDir = join(workDir, 'cp');
  const controlDir = inWorkDir.length <= MAX_CONTROL_DIR ? inWorkDir : mkdtempSync('/tmp/ansible-cp-');
  mkdirSync(controlDir, { recursive: true });
  mkdirSync(join(workDir, 'tmp'), { recursive: true });
  const sshArgs =
    '-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no';
  const config = [
    '[defaults]',
    'host_key_checking = False',
    `forks = ${Math.max(batchSize, 5)}`,
    'retry_files_enabled = False',
    'interpreter_python = /usr/bin/python3',
    '',
    '[ssh_connection]',
    'pipelining = True',
    `ssh_args = ${sshArgs}`,
    `control_path = ${controlDir}/%%C`, // ini interpolation: %% is a literal %
    '',
  ].join('\n');
  writeFileSync(join(workDir, 'ansible.cfg'), config);
  writeFileSync(join(workDir, 'inventory.yml'), stringify(inventory));
  writeFileSync(join(workDir, 'playbook.yml'), stringify(playbook));

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_CONFIG: join(workDir, 'ansible.cfg'),
    ANSIBLE_HOME: join(workDir, 'tmp', 'home'),
    ANSIBLE_LOCAL_TEMP: join(workDir, 'tmp', 'local'),
    ANSIBLE_REMOTE_TEMP: join(workDir, 'tmp', 'remote'),
    ANSIBLE_NOCOLOR: '1',
  };
  const args = ['-i', join(workDir, 'inventory.yml'), join(workDir, 'playbook.yml')];
  const started = performance.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn('ansible-playbook', args, { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (exitCode) =>
      resolve({ code: exitCode, output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
  const durationMs = performance.now() - started;
  writeFileSync(join(workDir, 'ansible-output.log'), output);

  // Every run starts cold: close the persisted SSH masters (ControlPersist would keep them 60 s).
  for (const entry of readdirSync(controlDir))
    spawnSync('ssh', ['-o', `ControlPath=${join(controlDir, entry)}`, '-O', 'exit', 'controlled'], {
      stdio: 'ignore',
      timeout: 5000,
    });
  if (controlDir !== inWorkDir) rmSync(controlDir, { recursive: true, force: true });

  const recapAt = output.lastIndexOf('PLAY RECAP');
  const recap = recapAt < 0 ? '' : output.slice(recapAt).trim();
  const hostOk = (host: string) =>
    new RegExp(`^${host.replace(/\./g, '\\.')}\\s+:.*\\bunreachable=0\\s+failed=0\\b`, 'm').test(recap);
  const ok = code === 0 && run.hosts.every((h) => hostOk(h.name));
  return { durationMs, ok, recap, outputTail: output.slice(-4000) };
}
