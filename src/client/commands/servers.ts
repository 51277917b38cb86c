import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parsePort } from '../arguments';
import type { ServerJson } from '../api-types';
import { UsageError } from '../errors';
import { table } from '../output';
import type { Register } from './action';

interface AddOptions {
  name: string;
  host: string;
  port?: number;
  user?: string;
  keyFile: string;
  hostKeyFingerprint?: string;
}

/** The private key's text; an error names the file, never its content. */
async function readKey(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the key file ${path}${code ? ` (${code})` : ''}`);
  }
}

function serverRows(servers: readonly ServerJson[]): string[] {
  return table(
    ['ID', 'NAME', 'ADDRESS', 'USER', 'HOST KEY'],
    servers.map((server) => [
      String(server.id),
      server.name,
      `${server.host}:${server.port}`,
      server.user,
      server.hostKeyFingerprint ?? '(pinned on first connection)',
    ]),
  );
}

export function registerServers(program: Command, run: Register): void {
  const servers = program.command('servers').description('the servers applications run on');

  run(
    servers
      .command('add')
      .description('register a server (Rollout connects over SSH only when it deploys)')
      .requiredOption('--name <name>', 'its name in Rollout, e.g. web-1')
      .requiredOption('--host <host>', 'its address')
      .option('--port <port>', 'SSH port (the API defaults to 22)', parsePort)
      .option('--user <user>', 'SSH user (the API defaults to root)')
      .requiredOption('--key-file <path>', 'the SSH private key file (sent to the API, never printed)')
      .option(
        '--host-key-fingerprint <SHA256:…>',
        'the host key to expect; without it the first one seen is pinned',
      ),
    async (context, options: AddOptions) => {
      const body = {
        name: options.name,
        host: options.host,
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.user === undefined ? {} : { user: options.user }),
        privateKey: await readKey(options.keyFile),
        ...(options.hostKeyFingerprint === undefined
          ? {}
          : { hostKeyFingerprint: options.hostKeyFingerprint }),
      };
      const server = await (await context.api()).post<ServerJson>('/api/servers', body);
      context.output.result(server, () => [
        `server ${server.id} ${server.name} added (${server.user}@${server.host}:${server.port})`,
      ]);
    },
  );

  run(servers.command('list').description('list the servers'), async (context) => {
    const all = await context.servers();
    context.output.result(all, () =>
      all.length === 0 ? ['no servers yet: rollout servers add …'] : serverRows(all),
    );
  });

  run(
    servers.command('rm').description('remove a server').argument('<server>', 'its id or name'),
    async (context, reference: string) => {
      const server = await context.server(reference);
      await (await context.api()).delete(`/api/servers/${server.id}`);
      context.output.result({ id: server.id, name: server.name, removed: true }, () => [
        `server ${server.id} ${server.name} removed`,
      ]);
    },
  );
}
