import { Client } from 'ssh2';

export interface ExecAnswer {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SshEndpoint {
  address: string;
  port: number;
}

/**
 * One OpenSSH connection per host, opened before anything is timed, so the floor pays only for its
 * commands: the cheapest way to drive these hosts, not Rollout's executor.
 */
export class SshSessions {
  private constructor(private readonly clients: Map<string, Client>) {}

  static async open(endpoints: SshEndpoint[], privateKey: string): Promise<SshSessions> {
    const clients = new Map<string, Client>();
    const sessions = new SshSessions(clients);
    try {
      await Promise.all(
        endpoints.map(async (endpoint) => clients.set(endpoint.address, await connect(endpoint, privateKey))),
      );
    } catch (error) {
      sessions.close();
      throw error;
    }
    return sessions;
  }

  /** Runs one shell line on the host; `stdin` is written and closed. */
  exec(address: string, line: string, stdin?: string): Promise<ExecAnswer> {
    const client = this.clients.get(address);
    if (!client) return Promise.reject(new Error(`no session to ${address}`));
    return new Promise((resolve, reject) => {
      client.exec(line, (error, channel) => {
        if (error) return reject(error);
        let stdout = '';
        let stderr = '';
        channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        channel.on('close', (code: number | null) => resolve({ code: code ?? -1, stdout, stderr }));
        channel.end(stdin);
      });
    });
  }

  close(): void {
    for (const client of this.clients.values()) client.end();
  }
}

function connect(endpoint: SshEndpoint, privateKey: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      host: endpoint.address,
      port: endpoint.port,
      username: 'root',
      privateKey,
      readyTimeout: 20_000,
    });
  });
}
