import type { Command } from 'commander';
import type { ApplicationJson, DeploymentJson, PlanJson } from '../api-types';
import type { CommandContext } from '../context';
import { CliError, EXIT } from '../errors';
import { follow } from '../follow';
import { planLines } from '../plan';
import { confirm } from '../prompt';
import { addRolloutOptions, rollingUpdateBody, type RolloutFlags } from '../rolling-update-options';
import type { Register } from './action';

interface DeployOptions extends RolloutFlags {
  tag: string;
  image?: string;
  plan?: boolean;
  watch?: boolean;
  yes?: boolean;
}

export function deploymentTitle(
  application: Pick<ApplicationJson, 'name'>,
  deployment: DeploymentJson,
): string {
  const from = deployment.previousTag === null ? '' : `${deployment.previousTag} → `;
  return `deployment ${deployment.id}  ${application.name}  ${from}${deployment.tag}`;
}

/** Shows the plan and asks; false when the answer is no. */
async function approvePlan(
  context: CommandContext,
  application: ApplicationJson,
  deployment: DeploymentJson,
  body: Record<string, unknown>,
  askFirst: boolean,
): Promise<boolean> {
  const api = await context.api();
  const [plan, names] = await Promise.all([
    api.post<PlanJson>(`/api/deployments/${deployment.id}/plan`, body),
    context.serverNames(),
  ]);
  const subject = {
    application: application.name,
    from: deployment.previousTag ?? application.tag,
    to: deployment.tag,
    deploymentId: deployment.id,
  };
  for (const line of planLines(plan, subject, names, context.output.paint)) context.output.say(line);
  if (!askFirst) return true;
  return confirm('Start this rollout?', context.terminal.stdin, context.terminal.stderr, context.interrupt);
}

async function deploy(context: CommandContext, reference: string, options: DeployOptions): Promise<void> {
  const askFirst = options.plan === true && options.yes !== true;
  // Refused before anything is created: a script without a terminal cannot answer the question.
  if (askFirst && context.terminal.stdin.isTTY !== true) {
    throw new CliError(
      '--plan asks before starting, but there is no terminal to answer on: add --yes to start without asking',
      EXIT.notConfirmed,
    );
  }
  const application = await context.application(reference);
  const api = await context.api();
  const created = await api.post<DeploymentJson>('/api/deployments', {
    applicationId: application.id,
    tag: options.tag,
    ...(options.image === undefined ? {} : { image: options.image }),
  });
  const body = rollingUpdateBody(options);
  if (options.plan === true && !(await approvePlan(context, application, created, body, askFirst))) {
    throw new CliError(
      `not started: deployment ${created.id} was created and stays pending`,
      EXIT.notConfirmed,
    );
  }
  const started = await api.post<DeploymentJson>(`/api/deployments/${created.id}/rolling-update`, body);
  if (options.watch === true) {
    await follow(context, started.id, deploymentTitle(application, started));
    return;
  }
  context.output.result(started, () => [
    `deployment ${started.id}: ${application.name} ${started.previousTag ?? application.tag} → ${started.tag} ${started.status}`,
    `follow it with: rollout status ${started.id} --watch`,
  ]);
}

export function registerDeploy(program: Command, run: Register): void {
  run(
    addRolloutOptions(
      program
        .command('deploy')
        .description('start a rolling update of an application to a new tag')
        .argument('<app>', 'application id or name')
        .requiredOption('--tag <tag>', 'the version to roll out, e.g. v2')
        .option('--image <image>', "image without tag (default: the application's)"),
    )
      .option('--plan', 'show the batches, what stays in rotation and the estimate, then ask before starting')
      .option('--yes', 'with --plan: start without asking')
      .option('--watch', 'follow the rollout live; exit 1 unless it ends completed'),
    (context, reference: string, options: DeployOptions) => deploy(context, reference, options),
  );
}
