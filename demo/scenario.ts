import { ApiError, type DemoApi, type RollingUpdateBody } from './api-client';
import type { DeploymentWatch } from './deployment-watch';
import {
  applyEvent,
  type DeploymentProgress,
  initialProgress,
  isFinal,
  type LiveEvent,
  renderFrame,
  renderResult,
  type ServerNames,
} from './live-view';
import type { LiveOutput } from './terminal';
import { delay } from './delay';

export const DEMO_APPLICATION = 'demo-shop';
/** Any valid image reference: the simulated runtime pulls nothing from anywhere. */
export const DEMO_IMAGE = 'registry.demo.local/shop';
export const DEMO_CONTAINER_PORT = 3000;

const ACTIVE = ['queued', 'in_progress', 'paused'];

/** Short waits and quick checks, so the whole demo takes seconds. */
const QUICK: RollingUpdateBody = {
  batchSize: 25,
  batchSizeIsPercentage: true,
  waitInterval: 0.5,
  healthCheckTimeout: 15,
  healthCheckInterval: 0.2,
  maxHealthCheckRetries: 75,
  minimumHealthyInstances: 4,
  autoRollbackOnFailure: true,
  failureThreshold: 1,
};

export interface DeploymentStep {
  tag: string;
  title: string;
  options: RollingUpdateBody;
  expected: string;
}

/** The three deployments the demo shows, with the final status each must end in. */
export function demoSteps(serverCount: number): DeploymentStep[] {
  const perBatch = Math.ceil(serverCount / 4);
  return [
    {
      tag: 'v1',
      title: `1/3  first deployment: ${DEMO_IMAGE}:v1 on ${serverCount} servers, all at once`,
      // Nothing serves yet, so nothing has to stay in rotation.
      options: { ...QUICK, batchSize: 100, minimumHealthyInstances: 0, waitInterval: 0 },
      expected: 'completed',
    },
    {
      tag: 'v2',
      title: `2/3  rolling update v1 → v2 in batches of 25 % (${perBatch} servers each)`,
      options: QUICK,
      expected: 'completed',
    },
    {
      tag: 'v3-broken',
      title:
        '3/3  rolling update v2 → v3-broken: it answers 500, so its health checks fail and it rolls back',
      // Eight failed probes 0.25 s apart: the batch fails in about two seconds.
      options: { ...QUICK, healthCheckTimeout: 3, healthCheckInterval: 0.25, maxHealthCheckRetries: 8 },
      expected: 'rolled_back',
    },
  ];
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Error('interrupted');
}

/**
 * Removes what an earlier demo run registered in the same data folder: the demo application (its
 * deployments go with it; a rollout left running is cancelled first) and the servers named as the
 * fleet's, so a second run starts from the same state as the first.
 */
export async function removePreviousRun(
  api: DemoApi,
  serverNames: readonly string[],
  signal: AbortSignal,
): Promise<number> {
  let removed = 0;
  for (const application of await api.listApplications()) {
    if (application.name !== DEMO_APPLICATION) continue;
    for (const deployment of await api.deploymentsOf(application.id)) {
      if (ACTIVE.includes(deployment.status)) await api.cancelDeployment(deployment.id);
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      throwIfAborted(signal);
      try {
        await api.deleteApplication(application.id);
        break;
      } catch (error) {
        // 409 while a cancelled rollout is still finishing its step.
        if (!(error instanceof ApiError) || error.status !== 409 || Date.now() > deadline) throw error;
        await delay(500, signal);
      }
    }
    removed++;
  }
  for (const server of await api.listServers()) {
    if (!serverNames.includes(server.name)) continue;
    await api.deleteServer(server.id);
    removed++;
  }
  return removed;
}

export interface StepContext {
  api: DemoApi;
  watch: DeploymentWatch;
  out: LiveOutput;
  applicationId: number;
  names: ServerNames;
  signal: AbortSignal;
  /** How long a deployment may take before the demo gives up on it. */
  timeoutMs: number;
}

export interface StepResult {
  progress: DeploymentProgress;
  elapsedMs: number;
}

/**
 * One deployment, shown live: created, watched (subscribed before it starts, so no event is missed),
 * started as a rolling update, and followed until its final status. The final status is also polled
 * over REST, so a lost connection cannot hang the demo; the poll fills in what the events did not show.
 */
export async function runStep(context: StepContext, step: DeploymentStep): Promise<StepResult> {
  const { api, watch, out, names, signal } = context;
  const created = await api.createDeployment(context.applicationId, step.tag);
  let progress = initialProgress(created.id);
  let finished = false;
  let wake: () => void = () => undefined;
  const show = (event: LiveEvent) => {
    progress = applyEvent(progress, event);
    if (event.name === 'deployment.finished' && event.data.id === created.id) {
      finished = true;
      wake();
    }
    out.frame(renderFrame(progress, step.title, names, out.style));
  };
  show({ name: 'deployment.updated', data: created });
  await watch.watch(created.id, show);
  const started = Date.now();
  try {
    show({ name: 'deployment.updated', data: await api.startRollingUpdate(created.id, step.options) });
    let finalSeenAt: number | null = null;
    while (!finished) {
      throwIfAborted(signal);
      if (Date.now() - started > context.timeoutMs) {
        throw new Error(
          `deployment ${created.id} (${step.tag}) did not finish within ${context.timeoutMs / 1000} s; ` +
            `last status ${progress.status}`,
        );
      }
      await new Promise<void>((done) => {
        wake = done;
        void delay(1000, signal).then(done);
      });
      if (finished) break;
      const polled = await api.deployment(created.id);
      if (!isFinal(polled.status)) continue;
      // Final in the database: give the events a moment to arrive, then show what the API says.
      finalSeenAt ??= Date.now();
      if (Date.now() - finalSeenAt < 1500) continue;
      for (const batch of await api.batches(created.id)) {
        show({ name: 'batch.updated', data: { ...batch, deploymentId: created.id } });
      }
      show({ name: 'deployment.finished', data: polled });
    }
  } finally {
    await watch.unwatch().catch(() => undefined);
  }
  const elapsedMs = Date.now() - started;
  out.commit();
  for (const line of renderResult(progress, elapsedMs, out.style)) out.line(line);
  return { progress, elapsedMs };
}
