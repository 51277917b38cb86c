import type { Command } from 'commander';
import { collectEnv, parsePort, parseSeconds, splitList } from '../arguments';
import type { ApplicationJson, InstanceJson, ServerJson } from '../api-types';
import type { CommandContext } from '../context';
import { UsageError } from '../errors';
import { LOAD_BALANCER_TYPES, loadBalancerBody, type LoadBalancerOptions } from '../load-balancer-options';
import { statusColour, table } from '../output';
import type { Register } from './action';

interface CreateOptions extends LoadBalancerOptions {
  image: string;
  tag: string;
  containerPort: number;
  hostPort: number;
  healthPath?: string;
  servers: string[];
  env?: Record<string, string>;
}

/** Server ids from ids or names, in the order given (batches follow it). */
export function serverIdResolver(servers: readonly ServerJson[]): (reference: string) => number {
  return (reference) => {
    const server =
      servers.find((candidate) => /^[0-9]+$/.test(reference) && candidate.id === Number(reference)) ??
      servers.find((candidate) => candidate.name === reference);
    if (!server) throw new UsageError(`no server with the id or name "${reference}"`);
    return server.id;
  };
}

function applicationRows(applications: readonly ApplicationJson[]): string[] {
  return table(
    ['ID', 'NAME', 'IMAGE', 'PORTS', 'SERVERS', 'LOAD BALANCER'],
    applications.map((application) => [
      String(application.id),
      application.name,
      `${application.image}:${application.tag}`,
      `${application.hostPort}→${application.containerPort}`,
      String(application.serverIds.length),
      application.loadBalancer.type,
    ]),
  );
}

async function instances(context: CommandContext, reference: string): Promise<void> {
  const application = await context.application(reference);
  const api = await context.api();
  const [list, names] = await Promise.all([
    api.get<InstanceJson[]>(`/api/applications/${application.id}/instances`),
    context.serverNames(),
  ]);
  const paint = context.output.paint;
  context.output.result(list, () =>
    table(
      ['SERVER', 'VERSION', 'STATE', 'IN ROTATION', 'PORT'],
      list.map((instance) => [
        names.get(instance.serverId) ?? `server ${instance.serverId}`,
        instance.tag ?? '-',
        paint(instance.status, statusColour(instance.status)),
        instance.inRotation ? 'yes' : 'no',
        instance.hostPort === undefined ? '-' : String(instance.hostPort),
      ]),
    ),
  );
}

export function registerApps(program: Command, run: Register): void {
  const apps = program.command('apps').description('applications: what runs where');

  run(
    apps
      .command('create')
      .description('create an application on some servers')
      .argument('<name>', 'its name (also the container name)')
      .requiredOption('--image <image>', 'image without tag, e.g. ghcr.io/acme/shop')
      .requiredOption('--tag <tag>', 'the version it runs now, e.g. v1')
      .requiredOption('--container-port <port>', 'the port the container listens on', parsePort)
      .requiredOption('--host-port <port>', 'the port each server publishes it on', parsePort)
      .option('--health-path <path>', 'health check path (the API defaults to /health)')
      .requiredOption(
        '--servers <servers...>',
        'server ids or names, in rollout order (web-1,web-2 or several)',
      )
      .option('--env <NAME=VALUE>', 'an environment variable (repeat for more)', collectEnv)
      .option('--lb <type>', `load balancer: ${LOAD_BALANCER_TYPES.join(', ')}`, 'none')
      .option('--lb-server <server>', 'the server the load balancer runs on (id or name)')
      .option('--lb-config-path <path>', 'traefik/nginx: its configuration file on that server')
      .option('--lb-domain <domain>', 'traefik (required), nginx: the domain it serves')
      .option('--lb-listen-port <port>', 'nginx: the port it listens on', parsePort)
      .option('--lb-backend <name>', "haproxy: the backend holding the application's servers")
      .option('--lb-socket-path <path>', 'haproxy: the runtime API socket')
      .option('--lb-reload-command <command>', 'nginx: the reload command')
      .option('--lb-test-command <command>', 'nginx: the configuration test command')
      .option(
        '--lb-drain-seconds <seconds>',
        'seconds to drain an instance before stopping it',
        parseSeconds,
      ),
    async (context, name: string, options: CreateOptions) => {
      const serverIdOf = serverIdResolver(await context.servers());
      const body = {
        name,
        image: options.image,
        tag: options.tag,
        containerPort: options.containerPort,
        hostPort: options.hostPort,
        ...(options.env === undefined ? {} : { env: options.env }),
        ...(options.healthPath === undefined ? {} : { healthCheckPath: options.healthPath }),
        serverIds: splitList(options.servers).map(serverIdOf),
        loadBalancer: loadBalancerBody(options, serverIdOf),
      };
      const application = await (await context.api()).post<ApplicationJson>('/api/applications', body);
      context.output.result(application, () => [
        `application ${application.id} ${application.name} created: ${application.image}:${application.tag} on ${application.serverIds.length} servers`,
      ]);
    },
  );

  run(apps.command('list').description('list the applications'), async (context) => {
    const all = await (await context.api()).listAll<ApplicationJson>('/api/applications');
    context.output.result(all, () =>
      all.length === 0 ? ['no applications yet: rollout apps create …'] : applicationRows(all),
    );
  });

  run(
    apps
      .command('instances')
      .description('the version, state and rotation of the instance on each server')
      .argument('<app>', 'application id or name'),
    (context, reference: string) => instances(context, reference),
  );
}
