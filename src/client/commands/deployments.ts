import type { Command } from 'commander';
import { parseId, wholeNumber } from '../arguments';
import type { ApplicationJson, BatchJson, DeploymentJson, TimelineEventJson } from '../api-types';
import { isFinalStatus } from '../api-types';
import type { CommandContext } from '../context';
import { follow } from '../follow';
import { statusColour, table } from '../output';
import { nameOf, outcomeLines, progressFrame, RolloutProgress } from '../progress';
import type { Register } from './action';
import { deploymentTitle } from './deploy';

async function applicationOf(context: CommandContext, deployment: DeploymentJson): Promise<ApplicationJson> {
  return (await context.api()).get<ApplicationJson>(`/api/applications/${deployment.applicationId}`);
}

async function status(context: CommandContext, id: number, options: { watch?: boolean }): Promise<void> {
  const api = await context.api();
  const base = `/api/deployments/${id}`;
  const deployment = await api.get<DeploymentJson>(base);
  const application = await applicationOf(context, deployment);
  const title = deploymentTitle(application, deployment);
  if (options.watch === true) {
    await follow(context, id, title);
    return;
  }
  const [batches, events, names] = await Promise.all([
    api.get<BatchJson[]>(`${base}/batches`),
    api.get<TimelineEventJson[]>(`${base}/events`),
    context.serverNames(),
  ]);
  const progress = new RolloutProgress(id);
  progress.applyDeployment(deployment);
  for (const batch of batches) progress.applyBatch(batch);
  for (const event of events) progress.applyEvent(event);
  const paint = context.output.paint;
  context.output.result(deployment, () => [
    ...progressFrame(progress, title, names, paint).map((line) => line.text),
    ...(isFinalStatus(deployment.status) ? outcomeLines(deployment, paint) : []),
  ]);
}

async function events(context: CommandContext, id: number, options: { afterId?: number }): Promise<void> {
  const api = await context.api();
  const [list, names] = await Promise.all([
    api.get<TimelineEventJson[]>(`/api/deployments/${id}/events?afterId=${options.afterId ?? 0}`),
    context.serverNames(),
  ]);
  const paint = context.output.paint;
  context.output.result(list, () =>
    table(
      ['ID', 'TIME (UTC)', 'BATCH', 'SERVER', 'PHASE', 'MESSAGE'],
      list.map((event) => [
        String(event.id),
        event.at === undefined ? '-' : new Date(event.at).toISOString().slice(11, 23),
        event.batchNumber === null ? '-' : String(event.batchNumber),
        event.serverId === null ? '-' : nameOf(names, event.serverId),
        paint(event.phase, statusColour(event.phase)),
        event.message,
      ]),
    ),
  );
}

function took(deployment: DeploymentJson): string {
  if (deployment.startedAt === null || deployment.completedAt === null) return '-';
  const seconds = (Date.parse(deployment.completedAt) - Date.parse(deployment.startedAt)) / 1000;
  return Number.isFinite(seconds) ? `${seconds.toFixed(1)} s` : '-';
}

async function history(
  context: CommandContext,
  reference: string,
  options: { limit: number },
): Promise<void> {
  const application = await context.application(reference);
  const list = await (
    await context.api()
  ).get<DeploymentJson[]>(`/api/deployments?applicationId=${application.id}&limit=${options.limit}`);
  const paint = context.output.paint;
  context.output.result(list, () =>
    list.length === 0
      ? [`no deployments of ${application.name} yet`]
      : table(
          ['ID', 'VERSION', 'STATUS', 'BATCHES', 'CREATED', 'TOOK', 'REASON'],
          list.map((deployment) => [
            String(deployment.id),
            `${deployment.previousTag === null ? '' : `${deployment.previousTag} → `}${deployment.tag}`,
            paint(deployment.status, statusColour(deployment.status)),
            `${deployment.completedBatches}/${deployment.totalBatches}${
              deployment.failedBatches > 0 ? ` (${deployment.failedBatches} failed)` : ''
            }`,
            deployment.createdAt.slice(0, 19).replace('T', ' '),
            took(deployment),
            deployment.failureReason ?? '',
          ]),
        ),
  );
}

/** pause, resume, cancel: the request, and the status it left the deployment in. */
async function control(
  context: CommandContext,
  verb: 'pause' | 'resume' | 'cancel',
  id: number,
  options: { watch?: boolean },
): Promise<void> {
  const deployment = await (await context.api()).post<DeploymentJson>(`/api/deployments/${id}/${verb}`);
  if (options.watch === true) {
    await follow(context, id, deploymentTitle(await applicationOf(context, deployment), deployment));
    return;
  }
  context.output.result(deployment, () => [
    `deployment ${id}: ${verb} accepted; status ${deployment.status}`,
  ]);
}

async function rollback(context: CommandContext, id: number, options: { watch?: boolean }): Promise<void> {
  const created = await (await context.api()).post<DeploymentJson>(`/api/deployments/${id}/rollback`);
  if (options.watch === true) {
    await follow(context, created.id, deploymentTitle(await applicationOf(context, created), created));
    return;
  }
  context.output.result(created, () => [
    `deployment ${created.id} rolls deployment ${id} back to ${created.tag}; status ${created.status}`,
    `follow it with: rollout status ${created.id} --watch`,
  ]);
}

export function registerDeployments(program: Command, run: Register): void {
  const watch = '--watch';
  run(
    program
      .command('status')
      .description("a deployment's status, batches and each server's phase")
      .argument('<id>', 'deployment id', parseId)
      .option(watch, 'follow it live; exit 1 unless it ends completed'),
    (context, id: number, options: { watch?: boolean }) => status(context, id, options),
  );
  run(
    program
      .command('events')
      .description("a deployment's per-server timeline, oldest first")
      .argument('<id>', 'deployment id', parseId)
      .option('--after-id <id>', 'only events after this one', wholeNumber(0)),
    (context, id: number, options: { afterId?: number }) => events(context, id, options),
  );
  run(
    program
      .command('pause')
      .description('stop before the next batch (the batch in flight finishes)')
      .argument('<id>', 'deployment id', parseId),
    (context, id: number) => control(context, 'pause', id, {}),
  );
  run(
    program
      .command('resume')
      .description('go on with a paused deployment')
      .argument('<id>', 'deployment id', parseId)
      .option(watch, 'then follow it live; exit 1 unless it ends completed'),
    (context, id: number, options: { watch?: boolean }) => control(context, 'resume', id, options),
  );
  run(
    program
      .command('cancel')
      .description('start no new batch; the batch in flight finishes or is rolled back')
      .argument('<id>', 'deployment id', parseId),
    (context, id: number) => control(context, 'cancel', id, {}),
  );
  run(
    program
      .command('rollback')
      .description("roll the application back to the deployment's previous version, batch by batch")
      .argument('<id>', 'deployment id', parseId)
      .option(watch, 'follow the rollback live; exit 1 unless it ends completed'),
    (context, id: number, options: { watch?: boolean }) => rollback(context, id, options),
  );
  run(
    program
      .command('history')
      .description("an application's deployments, newest first")
      .argument('<app>', 'application id or name')
      .option('--limit <count>', 'at most this many', wholeNumber(1), 20),
    (context, reference: string, options: { limit: number }) => history(context, reference, options),
  );
}
