import { type ChildProcess, spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  type AuthContext,
  type Connection,
  type ParsedKey,
  Server,
  type ServerChannel,
  type Session,
} from 'ssh2';
import type { CommandOutput } from './docker-cli';
import type { KeyPair } from './keys';
import { simpleCommandWords } from './shell-words';

export interface SshHostOptions {
  name: string;
  address: string;
  user: string;
  hostKey: KeyPair;
  /** The only key a client may authenticate with. */
  clientKey: ParsedKey;
  /** The shell's HOME and working directory. */
  homeDir: string;
  /** Prepended to the shell's PATH: where the `docker` shim lives. */
  binDir: string;
  /** Added to every shell's environment (which server this is, how the shim reaches the fleet). */
  environment: Record<string, string>;
  log: (line: string) => void;
  /**
   * Answers a simple command line (plain and single-quoted words only) without a shell, or returns null to
   * leave it to `/bin/sh`: the same outcome as the shell running the shim, without two process starts.
   */
  inProcess?: (words: string[], cwd: string) => Promise<CommandOutput> | null;
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CLOSE_GRACE_MS = 2000;

/**
 * One simulated server's SSH daemon (ssh2's server side): public-key authentication with the fleet's
 * client key only, and `exec` requests run as `/bin/sh -c LINE` with the channel as stdin, stdout and
 * stderr, as OpenSSH's sshd runs them. Shells, ptys, subsystems and forwarding are refused.
 */
export class SshHost {
  private readonly clients = new Set<Connection>();
  private readonly children = new Set<ChildProcess>();
  private closing: Promise<void> | null = null;

  private readonly server: Server;
  private listening = false;
  /** Its SSH port on `options.address`, once started. */
  port = 0;

  private constructor(private readonly options: SshHostOptions) {
    this.server = new Server({ hostKeys: [options.hostKey.privateKey] }, (client, info) => {
      if (!this.listening || this.closing) return client.end();
      this.accept(client, info.ip, info.port);
    });
  }

  static async start(options: SshHostOptions): Promise<SshHost> {
    const host = new SshHost(options);
    host.port = await new Promise<number>((resolve, reject) => {
      host.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRNOTAVAIL'
            ? new Error(
                `${options.name}: cannot listen on ${options.address} (on Linux all of 127.0.0.0/8 is local; elsewhere add the address to the loopback interface)`,
              )
            : error,
        ),
      );
      host.server.listen(0, options.address, () => resolve((host.server.address() as AddressInfo).port));
    });
    host.listening = true;
    host.server.on('error', (error: Error) =>
      options.log(`${options.name}: SSH server error: ${error.message}`),
    );
    return host;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_GRACE_MS);
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const child of this.children) killGroup(child, 'SIGKILL');
      for (const client of this.clients) client.end();
    });
    return this.closing;
  }

  private accept(client: Connection, clientIp: string, clientPort: number): void {
    this.clients.add(client);
    client.on('close', () => this.clients.delete(client));
    // A client that goes away mid-handshake is not the fleet's concern.
    client.on('error', () => undefined);
    client.on('authentication', (context) => this.authenticate(context, clientIp));
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        this.serve(session, `${clientIp} ${clientPort} ${this.options.address} ${this.port}`);
      });
    });
  }

  private authenticate(context: AuthContext, clientIp: string): void {
    if (context.method !== 'publickey') return context.reject(['publickey']);
    const allowed = this.options.clientKey;
    const knownKey =
      context.username === this.options.user &&
      context.key.algo === allowed.type &&
      sameBytes(context.key.data, allowed.getPublicSSH());
    if (!knownKey) {
      this.options.log(`${this.options.name}: refused a key for ${context.username} from ${clientIp}`);
      return context.reject(['publickey']);
    }
    // Without a signature the client only asks whether this key would do.
    if (context.signature === undefined) return context.accept();
    if (
      context.blob === undefined ||
      allowed.verify(context.blob, context.signature, context.hashAlgo) !== true
    ) {
      this.options.log(`${this.options.name}: refused a bad signature from ${clientIp}`);
      return context.reject(['publickey']);
    }
    context.accept();
  }

  private serve(session: Session, sshConnection: string): void {
    let child: ChildProcess | null = null;
    session.on('exec', (accept, _reject, info) => {
      const words = simpleCommandWords(info.command);
      const answer = words && this.options.inProcess?.(words, this.options.homeDir);
      if (answer) this.reply(accept(), answer);
      else child = this.exec(accept(), info.command, sshConnection);
    });
    session.on('signal', (accept, _reject, info) => {
      accept?.();
      if (child) killGroup(child, `SIG${info.name}` as NodeJS.Signals);
    });
    session.on('pty', (_accept, reject) => reject?.());
    session.on('shell', (_accept, reject) => reject?.());
    session.on('subsystem', (_accept, reject) => reject?.());
    session.on('env', (_accept, reject) => reject?.());
    session.on('x11', (_accept, reject) => reject?.());
    session.on('auth-agent', (_accept, reject) => reject?.());
  }

  private reply(channel: ServerChannel, answer: Promise<CommandOutput>): void {
    channel.on('error', () => undefined);
    channel.resume(); // stdin is not read, as by the docker CLI for these commands
    answer
      .catch((error: unknown) => ({
        exitCode: 125,
        stdout: '',
        stderr: `docker (demo fleet): ${String(error)}\n`,
      }))
      .then(({ exitCode, stdout, stderr }) => {
        if (stdout !== '') channel.write(stdout);
        if (stderr !== '') channel.stderr.write(stderr);
        channel.exit(exitCode);
        channel.end();
      })
      .catch(() => undefined); // the client went away: nobody to answer
  }

  private exec(channel: ServerChannel, line: string, sshConnection: string): ChildProcess {
    const { user, homeDir, binDir, environment } = this.options;
    const child = spawn('/bin/sh', ['-c', line], {
      cwd: homeDir,
      // Its own process group, so a timeout's KILL or the fleet's stop reaches everything it started.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: `${binDir}:${SYSTEM_PATH}`,
        HOME: homeDir,
        USER: user,
        LOGNAME: user,
        SHELL: '/bin/sh',
        LANG: 'C.UTF-8',
        SSH_CONNECTION: sshConnection,
        ...environment,
      },
    });
    this.children.add(child);
    // A client that disconnects mid-command: the close handler below ends the command.
    channel.on('error', () => undefined);
    child.stdin.on('error', () => undefined); // a command that never reads its stdin
    channel.pipe(child.stdin);
    child.stdout.pipe(channel, { end: false });
    child.stderr.pipe(channel.stderr, { end: false });
    child.on('error', (error) => {
      this.children.delete(child);
      channel.stderr.write(`sh: ${error.message}\n`);
      channel.exit(127);
      channel.end();
    });
    child.on('close', (code, signal) => {
      this.children.delete(child);
      if (code !== null) channel.exit(code);
      else channel.exit((signal ?? 'KILL').replace(/^SIG/, ''), false, '');
      channel.end();
    });
    channel.on('close', () => {
      if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL');
    });
    return child;
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
