import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE, startHaproxyShop, type HaproxyShop } from '../test/e2e/support/scenario';
import type { LoggedCommand } from '../test/fleet/fleet';
import { runAnsible } from './ansible';
import type { BenchCase } from './cases';
import { floorHost, runFloor } from './floor';
import { cpuSeconds, peakRssMb } from './process-stats';
import { rollOutTimed } from './rollout-run';
import { SshSessions } from './ssh-sessions';

export const ADDRESS_PREFIX = '127.0.130.';
const PORTS: [number, number] = [8080, 8081];

export interface RunFigures {
  rolloutMs: number;
  floorMs: number;
  ansibleMs: number | null;
  batches: number;
  batchSize: number;
  workerCpuSeconds: number;
}

export interface CaseFigures {
  hosts: number;
  batchCase: string;
  order: string;
  runs: RunFigures[];
  /** Why Ansible did not run, when it did not. */
  ansibleSkipped: string | null;
}

export interface FleetFigures {
  hosts: number;
  cases: CaseFigures[];
  /** Cases left out of this fleet size, with why. */
  skipped?: string[];
  peakRssMb: { api: number; worker: number };
}

export interface FleetBenchOptions {
  hosts: number;
  cases: BenchCase[];
  runs: number;
  ansible: boolean;
  /** Ansible is left out of a case with more batches than this (it takes seconds per batch). */
  ansibleMaxBatches: number;
  /** A case with more batches than this is left out altogether. */
  maxBatches: number;
  log: (line: string) => void;
  /** Given the running shop after the cases (the API benchmark runs there). */
  after?: (shop: HaproxyShop) => Promise<void>;
}

/** One fleet size: the shop behind HAProxy, a warm-up deployment, then every case `runs` times. */
export async function benchFleet(options: FleetBenchOptions): Promise<FleetFigures> {
  const { hosts, log } = options;
  log(`fleet of ${hosts} hosts: starting`);
  const shop = await startHaproxyShop({
    addressPrefix: ADDRESS_PREFIX,
    appHosts: hosts,
    drainSeconds: 0,
    deployed: 'v1',
    backendOptions: ['option http-server-close'],
    extra: { alternateHostPort: PORTS[1] },
  });
  const workDir = await mkdtemp(join(tmpdir(), 'rollout-bench-'));
  const appHosts = shop.fleet.hosts.slice(0, hosts);
  const lbHost = shop.fleet.host(hosts);
  const sessions = await SshSessions.open([...appHosts, lbHost], shop.fleet.privateKey);
  try {
    let version = 1;
    const nextTag = () => `v${++version}`;
    // A first swap leaves a `-previous` container everywhere: every timed run then does the same work.
    const warmUp = await rollOutTimed(shop.stack, shop.applicationId, nextTag(), {
      batchSize: 100,
      batchSizeIsPercentage: true,
      order: 'stop-first',
      minimumHealthyInstances: 0,
    });
    if (warmUp.status !== 'completed')
      throw new Error(`the warm-up ended ${warmUp.status}: ${warmUp.failureReason}`);

    const cases: CaseFigures[] = [];
    const skipped: string[] = [];
    for (const benchCase of options.cases) {
      const batches = expectedBatches(hosts, benchCase);
      if (batches > options.maxBatches) {
        skipped.push(
          `batches of ${benchCase.name}: ${batches} batches, more than --max-batches ${options.maxBatches}`,
        );
        continue;
      }
      const figures: CaseFigures = {
        hosts,
        batchCase: benchCase.name,
        order: benchCase.settings.order,
        runs: [],
        ansibleSkipped: null,
      };
      for (let run = 1; run <= options.runs; run++) {
        const rolloutTag = nextTag();
        const before = await Promise.all(appHosts.map((h) => shop.fleet.commandLog(h)));
        const worker = shop.stack.pids().worker;
        const cpuBefore = cpuSeconds(worker);
        const rollout = await rollOutTimed(shop.stack, shop.applicationId, rolloutTag, benchCase.settings);
        const workerCpuSeconds = cpuSeconds(worker) - cpuBefore;
        if (rollout.status !== 'completed')
          throw new Error(
            `${hosts} hosts, ${benchCase.name}: Rollout ended ${rollout.status}: ${rollout.failureReason}`,
          );
        const after = await Promise.all(appHosts.map((h) => shop.fleet.commandLog(h)));
        const logged = new Map<number, LoggedCommand[]>(
          shop.serverIds.map((id, i) => [id, (after[i] ?? []).slice((before[i] ?? []).length)]),
        );

        const floorTag = nextTag();
        const floorMs = await runFloor(
          {
            order: benchCase.settings.order,
            lbAddress: lbHost.address,
            socketPath: shop.haproxy.socketPath,
            backend: 'shop',
            tag: floorTag,
            batches: rollout.batches.map((ids) =>
              ids.map((id) => {
                const index = shop.serverIds.indexOf(id);
                const host = appHosts[index];
                if (!host) throw new Error(`server ${id} is not one of the fleet's`);
                return floorHost({
                  address: host.address,
                  serverName: `web-${index + 1}`,
                  logged: logged.get(id) ?? [],
                  fromTag: rolloutTag,
                  toTag: floorTag,
                  order: benchCase.settings.order,
                  ports: PORTS,
                });
              }),
            ),
          },
          sessions,
        );

        const batchSize = Math.max(...rollout.batches.map((b) => b.length));
        let ansibleMs: number | null = null;
        figures.ansibleSkipped = ansibleSkipReason(options, benchCase, rollout.batches.length);
        if (figures.ansibleSkipped === null) {
          const ansible = await runAnsible({
            workDir,
            hosts: appHosts.map((h, i) => ({ name: `web-${i + 1}`, address: h.address, port: h.port })),
            loadBalancerHost: { address: lbHost.address, port: lbHost.port },
            privateKeyPath: shop.fleet.privateKeyPath,
            haproxy: { socketPath: shop.haproxy.socketPath, backend: 'shop' },
            batchSize,
            image: IMAGE,
            tag: nextTag(),
            containerName: 'shop',
            hostPort: PORTS[0],
            containerPort: 3000,
            stopTimeout: 10,
            runArgs: ['--label', 'rollout.application=shop'],
          });
          if (!ansible.ok) throw new Error(`Ansible failed: ${ansible.recap}\n${ansible.outputTail}`);
          ansibleMs = ansible.durationMs;
        }
        const result = {
          rolloutMs: rollout.durationMs,
          floorMs,
          ansibleMs,
          batches: rollout.batches.length,
          batchSize,
          workerCpuSeconds,
        };
        figures.runs.push(result);
        log(`${hosts} hosts, batches of ${benchCase.name}, run ${run}: ${JSON.stringify(rounded(result))}`);
      }
      cases.push(figures);
    }
    const pids = shop.stack.pids();
    const peak = { api: peakRssMb(pids.api), worker: peakRssMb(pids.worker) };
    if (options.after) await options.after(shop);
    return { hosts, cases, peakRssMb: peak, skipped };
  } finally {
    sessions.close();
    await rm(workDir, { recursive: true, force: true });
    await shop.stop();
  }
}

function expectedBatches(hosts: number, benchCase: BenchCase): number {
  const { batchSize, batchSizeIsPercentage } = benchCase.settings;
  const size = batchSizeIsPercentage ? Math.max(1, Math.floor((hosts * batchSize) / 100)) : batchSize;
  return Math.ceil(hosts / size);
}

function ansibleSkipReason(options: FleetBenchOptions, benchCase: BenchCase, batches: number): string | null {
  if (!options.ansible) return 'not asked for (--no-ansible), or a fleet larger than --ansible-max-hosts';
  if (benchCase.settings.order === 'start-first')
    return 'a start-first playbook needs hand-written port juggling; the stop-first one would drop every server at once';
  if (batches > options.ansibleMaxBatches)
    return `${batches} batches (more than --ansible-max-batches ${options.ansibleMaxBatches})`;
  return null;
}

function rounded(figures: RunFigures): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(figures).map(([key, value]) => [
      key,
      value === null ? null : Math.round(value * 100) / 100,
    ]),
  );
}
