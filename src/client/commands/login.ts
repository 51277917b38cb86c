import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import { normaliseUrl, writeConfig } from '../config';
import { ApiError, CliError, EXIT, UsageError } from '../errors';
import type { CommandContext } from '../context';
import type { Register } from './action';

/** The token from `--token`, else the first line of stdin when it is not a terminal. */
async function tokenFrom(option: string | undefined, context: CommandContext): Promise<string> {
  if (option !== undefined) return option.trim();
  const stdin = context.terminal.stdin;
  if (stdin.isTTY === true) throw new UsageError('give the token with --token TOKEN (or pipe it on stdin)');
  let text = '';
  for await (const chunk of stdin) text += String(chunk);
  return text.split(/\r?\n/)[0]?.trim() ?? '';
}

export function registerLogin(program: Command, run: Register): void {
  run(
    program
      .command('login')
      .description('check a token against the API and store both for later commands (file mode 0600)')
      .argument('<url>', "the API's address, e.g. http://127.0.0.1:3000")
      .option('--token <token>', 'an API token (rlt_…); without it, the first line of stdin'),
    async (context, url: string, options: { token?: string }) => {
      const base = normaliseUrl(url);
      const token = await tokenFrom(options.token, context);
      if (token === '') throw new UsageError('the token is empty');
      try {
        // Any read works: a token of any scope may list servers; only the status matters here.
        await new ApiClient({ url: base, token }, { interrupt: context.interrupt }).get(
          '/api/servers?limit=1',
        );
      } catch (error) {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
          throw new CliError(
            `the API at ${base} refused the token (${error.status}); nothing was saved`,
            EXIT.api,
          );
        }
        throw error;
      }
      const path = await writeConfig(context.configDir, { url: base, token });
      context.output.result({ url: base, configFile: path }, () => [
        `logged in to ${base}; saved in ${path}`,
      ]);
    },
  );
}
