/**
 * Self-check of bench/ansible.ts: `npx tsx bench/ansible-check.ts` (as root). Deploys v2, then v3, with
 * Ansible on a fleet of 4 application hosts + 1 load balancer host on 127.0.140.*, behind a real HAProxy.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listProcesses } from '../test/fleet/processes';
import { serverStatuses } from '../src/rollout/commands/haproxy-stat';
import { startFleet, type Fleet } from '../test/fleet/fleet';
import { startHaproxy, type RunningHaproxy } from '../test/fleet/load-balancers';
import { freePort } from '../test/support/net';
import { ansibleVersion, runAnsible } from './ansible';

const PREFIX = '127.0.140.';
const BACKEND = 'shop';
/** `show stat` status of a ready server: the fleet's HAProxy has no health checks, so 'no check' (UP with them). */
const IN_ROTATION = new Set(['UP', 'no check']);

async function servedTag(address: string): Promise<string> {
  const response = await fetch(`http://${address}:8080/`);
  const body = (await response.json()) as { tag?: string };
  return `${response.status} ${body.tag ?? '?'}`;
}

async function main(): Promise<void> {
  console.log(ansibleVersion());
  let fleet: Fleet | undefined;
  let haproxy: RunningHaproxy | undefined;
  const workRoot = await mkdtemp(join(tmpdir(), 'ansible-check-'));
  try {
    const f = (fleet = await startFleet({ count: 5, addressPrefix: PREFIX }));
    const [lb, ...apps] = f.hosts;
    if (lb === undefined) throw new Error('no hosts');
    const servers = apps.map((h, i) => ({ name: `web-${i + 1}`, address: h.address, port: 8080 }));
    haproxy = await startHaproxy({
      listenAddress: `${PREFIX}1`,
      listenPort: await freePort(`${PREFIX}1`),
      backend: BACKEND,
      servers,
    });
    for (const host of apps) {
      const started = await f.docker(host, [
        ...['run', '-d', '--name', 'shop', '-p', '8080:3000'],
        'registry.local/acme/shop:v1',
      ]);
      if (started.exitCode !== 0) throw new Error(`docker run v1 on ${host.name}: ${started.stderr}`);
    }
    for (const s of servers) {
      const answer = await haproxy.command(`set server ${BACKEND}/${s.name} state ready`);
      if (answer.trim() !== '') throw new Error(`haproxy: ${answer}`);
    }

    let failures = 0;
    for (const [round, tag] of ['v2', 'v3'].entries()) {
      const workDir = join(workRoot, `run${round}`);
      await mkdir(workDir);
      const result = await runAnsible({
        workDir,
        hosts: servers.map((s) => ({ name: s.name, address: s.address, port: 22 })),
        loadBalancerHost: { address: lb.address, port: 22 },
        privateKeyPath: f.privateKeyPath,
        haproxy: { socketPath: haproxy.socketPath, backend: BACKEND },
        batchSize: 2,
        image: 'registry.local/acme/shop',
        tag,
        containerName: 'shop',
        hostPort: 8080,
        containerPort: 3000,
        stopTimeout: 10,
        // The second deploy also passes extra words (quoted into the shell line), as the benchmark does.
        runArgs: round === 0 ? undefined : ['--label', "rollout.application=it's shop"],
      });
      const tags = await Promise.all(servers.map((s) => servedTag(s.address)));
      const labels = await Promise.all(
        apps.map(async (h) =>
          (await f.docker(h, ['inspect', '--format', '{{json .Config.Labels}}', 'shop'])).stdout.trim(),
        ),
      );
      const wantLabels = round === 0 ? '{}' : JSON.stringify({ 'rollout.application': "it's shop" });
      const statuses = serverStatuses(await haproxy.showStat(), BACKEND);
      // runAnsible closes its SSH masters (ControlPersist) before it returns.
      const masters = listProcesses().filter((p) => p.cmdline.includes(join(workDir, 'cp')));
      const sockets = await readdir(join(workDir, 'cp'));
      const problems = [
        ...labels.filter((l) => l !== wantLabels).map((l) => `labels ${l}, expected ${wantLabels}`),
        ...(masters.length + sockets.length === 0
          ? []
          : [`SSH masters left: ${masters.length}, sockets ${sockets.length}`]),
        ...(result.ok ? [] : ['ansible-playbook failed']),
        ...servers.flatMap((s, i) => (tags[i] === `200 ${tag}` ? [] : [`${s.name} serves ${tags[i]}`])),
        ...servers.flatMap((s) =>
          IN_ROTATION.has(statuses.get(s.name) ?? '') ? [] : [`${s.name} is ${statuses.get(s.name)}`],
        ),
      ];
      console.log(`\n== deploy ${tag}: ${Math.round(result.durationMs)} ms, ok=${result.ok}`);
      console.log(result.recap);
      console.log(`served: ${tags.join(', ')}; haproxy: ${[...statuses].map((e) => e.join('=')).join(', ')}`);
      if (problems.length > 0) {
        failures++;
        console.log(`PROBLEMS: ${problems.join('; ')}\n${result.outputTail}`);
      }
    }
    if (failures > 0) throw new Error(`${failures} deploy(s) failed the check`);
    console.log('\nansible-check: OK');
  } finally {
    await haproxy?.stop();
    await fleet?.stop();
    await rm(workRoot, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
