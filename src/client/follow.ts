import type { DeploymentJson } from './api-types';
import type { CommandContext } from './context';
import { CliError, EXIT } from './errors';
import { LiveScreen } from './live-screen';
import { outcomeLines, progressFrame } from './progress';
import { watchDeployment } from './watch';

/**
 * `--watch`: one progress bar per batch and each server's phase, live, then the final status verbatim
 * and the failure reason. With `--json` the frame goes to stderr and stdout gets the final deployment.
 * Any final status but `completed` sets exit code 1.
 */
export async function follow(
  context: CommandContext,
  deploymentId: number,
  title: string,
): Promise<DeploymentJson> {
  const api = await context.api();
  const names = await context.serverNames();
  const { output } = context;
  const screen = new LiveScreen(output.human);
  let result;
  try {
    result = await watchDeployment({
      api,
      deploymentId,
      interrupt: context.interrupt,
      onProgress: (progress) => screen.show(progressFrame(progress, title, names, output.paint)),
    });
  } catch (error) {
    if (error instanceof CliError && error.exitCode === EXIT.interrupted) {
      throw new CliError(
        `interrupted: stopped watching; deployment ${deploymentId} goes on (rollout status ${deploymentId} --watch)`,
        EXIT.interrupted,
      );
    }
    throw error;
  }
  const { deployment } = result;
  for (const line of outcomeLines(deployment, output.paint)) output.say(line);
  if (output.jsonMode) output.result(deployment, () => []);
  if (deployment.status !== 'completed') context.exitCode = EXIT.deploymentNotCompleted;
  return deployment;
}
