import { type AddressInfo, createServer } from 'node:net';
import { resolve } from 'node:path';

/**
 * The demo's data folder: `ROLLOUT_DATA_DIR` when set, else `./.rollout-demo`; as root
 * `/var/lib/rollout-demo`, because the embedded PostgreSQL then runs as an unprivileged user that could
 * not reach a folder under /root.
 */
export function demoDataDir(env: NodeJS.ProcessEnv, uid: number | undefined, cwd: string): string {
  const given = env.ROLLOUT_DATA_DIR;
  if (given !== undefined && given !== '') return resolve(cwd, given);
  return uid === 0 ? '/var/lib/rollout-demo' : resolve(cwd, '.rollout-demo');
}

/** Whether nothing listens on `port` of `host` (undefined: every address, as the service binds). */
export function portIsFree(port: number, host?: string): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => done(true)));
  });
}

async function anyFreePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(0, host, ready);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return port;
}

/** The API's port: `PORT` when set, else 3000 when free, else one the system picks. */
export async function demoApiPort(env: NodeJS.ProcessEnv): Promise<number> {
  const given = env.PORT;
  if (given !== undefined && given !== '') {
    const port = Number(given);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`PORT must be a port number (1-65535), got ${JSON.stringify(given)}`);
    }
    return port;
  }
  if ((await portIsFree(3000, '127.0.0.1')) && (await portIsFree(3000))) return 3000;
  return anyFreePort('127.0.0.1');
}

/** A port free on every one of `hosts` (the containers of all servers listen on the same host port). */
export async function portFreeOnAll(hosts: readonly string[], preferred: number): Promise<number> {
  const freeEverywhere = async (port: number) => {
    for (const host of hosts) if (!(await portIsFree(port, host))) return false;
    return portIsFree(port);
  };
  if (await freeEverywhere(preferred)) return preferred;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await anyFreePort(hosts[0] ?? '127.0.0.1');
    if (await freeEverywhere(port)) return port;
  }
  throw new Error(`no port is free on all of ${hosts.join(', ')}`);
}
