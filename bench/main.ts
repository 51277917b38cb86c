import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { ansibleVersion } from './ansible';
import { benchApi, createBenchApplications, type ApiFigures } from './api';
import { parseCases, parseCounts } from './cases';
import { benchFleet, type FleetFigures } from './fleet-bench';
import { renderResults, summarise, type BenchResults } from './report';

const program = new Command('bench')
  .description('Times Rollout against the floor and Ansible on the test fleet; writes bench/results.md')
  .option('--hosts <list>', 'fleet sizes', '8,32,128')
  .option('--batches <list>', 'cases: 1 (one server), 25% (a quarter), 100% (all, start-first)', '1,25%,100%')
  .option('--runs <n>', 'runs per case', '3')
  .option('--no-ansible', 'leave Ansible out')
  .option('--ansible-max-batches <n>', 'leave Ansible out of cases with more batches', '64')
  .option(
    '--ansible-max-hosts <n>',
    'leave Ansible out of larger fleets (it needs minutes per batch there)',
    '32',
  )
  .option('--max-batches <n>', 'leave out cases with more batches (128 hosts one at a time takes long)', '64')
  .option('--no-api', 'leave the API and socket.io figures out')
  .option('--out <file>', 'the Markdown report', 'bench/results.md')
  .option('--json <file>', 'the raw figures, usable as a later --baseline', 'bench/results.json')
  .option('--baseline <file>', 'raw figures measured before the changes, compared in the report')
  .option(
    '--smoke',
    "CI's check that the benchmark still runs: 8 hosts, batches of 25 %, one run, a short API run",
  )
  .parse();

interface Options {
  hosts: string;
  batches: string;
  runs: string;
  ansible: boolean;
  ansibleMaxBatches: string;
  maxBatches: string;
  ansibleMaxHosts: string;
  api: boolean;
  out: string;
  json: string;
  baseline?: string;
  smoke?: boolean;
}

async function main(options: Options): Promise<void> {
  const smoke = options.smoke === true;
  const hosts = smoke ? [8] : parseCounts(options.hosts, '--hosts');
  const cases = parseCases(smoke ? '25%' : options.batches);
  const runs = smoke ? 1 : (parseCounts(options.runs, '--runs')[0] ?? 3);
  const baseline = options.baseline
    ? (JSON.parse(await readFile(options.baseline, 'utf8')) as BenchResults)
    : null;
  const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);
  const startedAt = new Date().toISOString();
  const fleets: FleetFigures[] = [];
  let api: ApiFigures | null = null;
  const smallest = Math.min(...hosts);
  for (const count of hosts) {
    fleets.push(
      await benchFleet({
        hosts: count,
        cases,
        runs,
        ansible:
          options.ansible && count <= (parseCounts(options.ansibleMaxHosts, '--ansible-max-hosts')[0] ?? 32),
        ansibleMaxBatches: parseCounts(options.ansibleMaxBatches, '--ansible-max-batches')[0] ?? 64,
        maxBatches: parseCounts(options.maxBatches, '--max-batches')[0] ?? 64,
        log,
        after:
          options.api && count === smallest
            ? async (shop) => {
                log('API and socket.io');
                const [latest] = await shop.stack.call<{ id: number }[]>(
                  'GET',
                  `/api/deployments?applicationId=${shop.applicationId}&limit=1`,
                );
                if (!latest) throw new Error('the shop has no deployment to read batches of');
                api = await benchApi(shop.stack, {
                  applicationIds: await createBenchApplications(shop.stack, shop.serverIds, smoke ? 30 : 300),
                  batchesDeploymentId: latest.id,
                  durationSeconds: smoke ? 1 : 5,
                });
              }
            : undefined,
      }),
    );
  }
  const results: BenchResults = { startedAt, machine: machine(), runs, fleets, api };
  for (const figures of fleets.flatMap((f) => f.cases)) {
    const x = summarise(figures);
    log(
      `${x.key}: Rollout / floor ${x.ratio.toFixed(2)}, overhead ${x.overheadPerBatchMs.toFixed(0)} ms per batch`,
    );
  }
  if (smoke) {
    const figures = api as ApiFigures | null;
    const apiProblem =
      figures === null
        ? 'no API figures'
        : [figures.rollingUpdate, figures.batches].some((x) => x.requests === 0 || x.non2xx > 0)
          ? `API answers missing or not 2xx: ${JSON.stringify(figures)}`
          : figures.socket.lost > 0
            ? `${figures.socket.lost} socket.io events lost`
            : null;
    if (options.api && apiProblem !== null) throw new Error(`smoke: ${apiProblem}`);
    log('smoke: every deployment completed and every figure is there; nothing written');
    return;
  }
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(options.out, renderResults(results, baseline));
  log(`wrote ${options.out} and ${options.json}`);
}

function machine(): Record<string, string> {
  const firstLine = (command: string, args: string[]) => {
    try {
      const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return out.split('\n')[0]?.trim() ?? '';
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      return stderr.split('\n')[0]?.trim() || 'unknown';
    }
  };
  // OpenSSH prints its version on stderr.
  const sshVersion = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim();
  const rev = firstLine('git', ['rev-parse', '--short', 'HEAD']);
  const dirty =
    firstLine('git', ['status', '--porcelain', '--untracked-files=no']) === ''
      ? ''
      : ' with uncommitted changes';
  return {
    CPU: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    Memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    Kernel: release(),
    'Node.js': process.version,
    OpenSSH: sshVersion.split('\n')[0] ?? sshVersion,
    HAProxy: firstLine('haproxy', ['-v']),
    Ansible: ansibleVersion(),
    Rollout: `${rev}${dirty}`,
  };
}

main(program.opts<Options>()).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
