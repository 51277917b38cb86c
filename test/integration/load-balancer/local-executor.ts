import { spawn } from 'node:child_process';
import { shellJoin } from '../../../src/rollout/commands/shell';
import type { ServerTarget } from '../../../src/rollout/domain';
import {
  CommandResult,
  RemoteCommand,
  RemoteExecutor,
} from '../../../src/rollout/ports/remote-executor.port';

/**
 * Runs each command as the SSH executor would on the remote host: one `sh -c` line built by the one quoting
 * point, with stdin written then closed. Lets the drivers' real commands run against a local nginx/HAProxy.
 */
export class LocalShellExecutor extends RemoteExecutor {
  readonly lines: string[] = [];

  run(_server: ServerTarget, command: RemoteCommand): Promise<CommandResult> {
    const line = shellJoin(command.argv);
    this.lines.push(line);
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', line], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), command.timeoutMs ?? 10_000);
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ exitCode: code ?? (signal === null ? 1 : 128), stdout, stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(command.stdin ?? '');
    });
  }

  async release(): Promise<void> {}
}

export const localServer: ServerTarget = {
  id: 1,
  name: 'local-lb',
  host: '127.0.0.1',
  port: 22,
  user: 'root',
  privateKey: 'unused',
  hostKeyFingerprint: null,
};
