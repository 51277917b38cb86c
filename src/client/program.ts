import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { Register } from './commands/action';
import { registerApps } from './commands/apps';
import { registerDeploy } from './commands/deploy';
import { registerDeployments } from './commands/deployments';
import { registerLogin } from './commands/login';
import { registerServers } from './commands/servers';
import { CommandContext, type GlobalOptions } from './context';
import { CliError, EXIT, oneLine, redactTokens } from './errors';
import type { Terminal } from './output';

const EXIT_CODES_HELP = `
Exit codes:
  0    done (with --watch: the deployment ended completed)
  1    with --watch: the deployment ended in another status (printed as it is)
  2    bad usage: unknown command or option, a bad value, not logged in
  3    the API answered with an error (its status and message are printed)
  4    the API could not be reached, or did not answer as the Rollout API
  5    not started: the plan was not confirmed (answered no, or no terminal and no --yes)
  70   an unexpected error in the client
  130  interrupted (Ctrl-C); a rollout being watched goes on

Environment: ROLLOUT_URL and ROLLOUT_TOKEN override what login stored; ROLLOUT_CONFIG_DIR is the
configuration folder; NO_COLOR turns colours off.`;

/** The package's version, from the nearest package.json above this file (src/ or dist/src/). */
function version(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file))
      return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
  }
  return '0.0.0';
}

export function buildProgram(
  terminal: Terminal,
  interrupt: AbortSignal,
  onContext: (context: CommandContext) => void,
): Command {
  const program = new Command('rollout')
    .description(
      'Command-line client of the Rollout API: servers, applications, rolling updates followed live.',
    )
    .option('--json', "machine output: only the API's JSON on stdout")
    .option(
      '--config-dir <dir>',
      'the configuration folder (default $XDG_CONFIG_HOME/rollout or ~/.config/rollout)',
    )
    .version(version(), '-V, --version')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => terminal.stdout.write(text),
      writeErr: (text) => terminal.stderr.write(redactTokens(text)),
    })
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);

  const run: Register = (command, action) =>
    command.action(async (...args: unknown[]) => {
      const self = args.at(-1) as Command;
      const context = new CommandContext(terminal, self.optsWithGlobals<GlobalOptions>(), interrupt);
      onContext(context);
      await action(context, ...(args.slice(0, -1) as never[]));
    });

  registerLogin(program, run);
  registerServers(program, run);
  registerApps(program, run);
  registerDeploy(program, run);
  registerDeployments(program, run);
  return program;
}

/** Runs one command line (`argv` without node and the script) and answers its exit code. */
export async function runCli(
  argv: readonly string[],
  terminal: Terminal,
  interrupt: AbortSignal,
): Promise<number> {
  let context: CommandContext | undefined;
  const program = buildProgram(terminal, interrupt, (created) => (context = created));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context?.exitCode ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const known = error instanceof CliError;
    const message = error instanceof Error ? error.message : String(error);
    terminal.stderr.write(`error: ${redactTokens(oneLine(message))}\n`);
    return known ? error.exitCode : EXIT.internal;
  }
}
