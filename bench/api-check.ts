/**
 * Tries `benchApi` with short runs: `npx tsx bench/api-check.ts` (as root, after `npm run build`); with
 * `--full`, with benchApi's defaults (5 s, 10 connections, 100 subscribers, 200 events). Starts a
 * stack and a fleet of two hosts on 127.0.141.x, deploys once so a deployment has batches, creates the
 * applications the rolling-update run needs, prints the figures and fails unless they are sane.
 */
import { startFleet, type Fleet } from '../test/fleet/fleet';
import { registerServers, rollOut } from '../test/e2e/support/scenario';
import { startStack, type Stack } from '../test/e2e/support/stack';
import { type ApiFigures, benchApi, createBenchApplications } from './api';

const FULL = process.argv.includes('--full');
const APPLICATIONS = FULL ? 600 : 300;

async function main(): Promise<void> {
  let stack: Stack | undefined;
  let fleet: Fleet | undefined;
  try {
    [stack, fleet] = await Promise.all([startStack(), startFleet({ count: 2, addressPrefix: '127.0.141.' })]);
    const serverIds = await registerServers(stack, fleet, fleet.hosts);
    const [shop] = await createBenchApplications(stack, serverIds, 1, 'shop');
    if (shop === undefined) throw new Error('no application');
    const first = await rollOut(stack, shop, 'v2', { batchSize: 1, batchSizeIsPercentage: false });
    if (first.batches.length !== 2) throw new Error(`expected 2 batches, got ${first.batches.length}`);
    const applicationIds = await createBenchApplications(stack, serverIds, APPLICATIONS);
    const figures = await benchApi(stack, {
      applicationIds,
      batchesDeploymentId: Number(first.deployment.id),
      ...(FULL ? {} : { durationSeconds: 2, subscribers: 50, events: 100 }),
    });
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    const problems = problemsOf(figures);
    const left = await stack.call<{ status: string }[]>('GET', '/api/deployments?limit=500');
    if (left.some((d) => ['queued', 'in_progress'].includes(d.status)))
      problems.push('a rollout was left active');
    if (problems.length > 0) throw new Error(problems.join('; '));
    process.stdout.write('api-check: ok\n');
  } finally {
    await fleet?.stop();
    await stack?.stop();
  }
}

function problemsOf(figures: ApiFigures): string[] {
  const problems: string[] = [];
  for (const [name, f] of Object.entries({
    rollingUpdate: figures.rollingUpdate,
    batches: figures.batches,
  })) {
    if (!(f.requests > 0 && f.perSecond > 0 && f.p50Ms >= 0 && f.p99Ms >= f.p50Ms))
      problems.push(`${name}: ${JSON.stringify(f)}`);
    if (f.non2xx !== 0) problems.push(`${name}: ${f.non2xx} non-2xx`);
  }
  const s = figures.socket;
  if (s.lost !== 0 || !(s.p50Ms >= 0 && s.p99Ms >= s.p50Ms)) problems.push(`socket: ${JSON.stringify(s)}`);
  return problems;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `api-check failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
