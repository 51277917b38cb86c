import { ApiClient } from './api-client';
import type { ApplicationJson, ServerJson } from './api-types';
import { configDir, readConfig, resolveConnection } from './config';
import { ApiError, EXIT, type ExitCode, UsageError } from './errors';
import { Output, type Terminal } from './output';

/** The options every command takes (declared on the program, usable after any subcommand). */
export interface GlobalOptions {
  json?: boolean;
  configDir?: string;
}

/** What a command runs with: where to write, where the configuration is, and the API once asked for. */
export class CommandContext {
  readonly output: Output;
  /** Set by a command that ends without an error but must not exit 0 (a watched rollout that failed). */
  exitCode: ExitCode = EXIT.ok;
  private client?: ApiClient;

  constructor(
    readonly terminal: Terminal,
    readonly options: GlobalOptions,
    readonly interrupt: AbortSignal,
  ) {
    this.output = new Output(terminal, options.json === true);
  }

  get configDir(): string {
    return configDir(this.terminal.env, this.options.configDir);
  }

  async api(): Promise<ApiClient> {
    if (this.client) return this.client;
    const { config, warning } = await readConfig(this.configDir);
    if (warning) this.output.warn(warning);
    this.client = new ApiClient(resolveConnection(this.terminal.env, config), { interrupt: this.interrupt });
    return this.client;
  }

  async servers(): Promise<ServerJson[]> {
    return (await this.api()).listAll<ServerJson>('/api/servers');
  }

  /** Server names by id, for plans, progress and tables. */
  async serverNames(): Promise<Map<number, string>> {
    return new Map((await this.servers()).map((server) => [server.id, server.name]));
  }

  /** A server by id or name. */
  async server(reference: string): Promise<ServerJson> {
    const servers = await this.servers();
    const found =
      servers.find((server) => /^[0-9]+$/.test(reference) && server.id === Number(reference)) ??
      servers.find((server) => server.name === reference);
    if (!found) throw new UsageError(`no server with the id or name "${reference}"`);
    return found;
  }

  /** An application by id (digits) or name. A name made of digits is found when no id matches. */
  async application(reference: string): Promise<ApplicationJson> {
    const api = await this.api();
    if (/^[0-9]+$/.test(reference)) {
      try {
        return await api.get<ApplicationJson>(`/api/applications/${reference}`);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
    }
    const found = (await api.listAll<ApplicationJson>('/api/applications')).find(
      (application) => application.name === reference,
    );
    if (!found) throw new UsageError(`no application with the id or name "${reference}"`);
    return found;
  }
}
