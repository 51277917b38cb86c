import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { runInThisContext } from 'node:vm';

/**
 * The runner's own `process`. Jest gives every test file a copy of `process` with event listeners of its
 * own, so an 'exit' listener added to the global `process` inside a test never runs; code compiled in
 * Node's own context still sees the real one. Outside Jest this is `process` itself.
 */
const realProcess = runInThisContext('process') as NodeJS.Process;

/**
 * Runs `cleanUp` (synchronous work only) when the process exits, also under Jest; returns what cancels it.
 * `first`: before the hooks added so far, for what must go before the resources it was built on.
 */
export function onExit(cleanUp: () => void, { first = false } = {}): () => void {
  if (first) realProcess.prependOnceListener('exit', cleanUp);
  else realProcess.once('exit', cleanUp);
  return () => {
    realProcess.removeListener('exit', cleanUp);
  };
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

/** Every process visible in /proc, with its parent and its NUL-separated command line joined by spaces. */
export function listProcesses(): ProcessInfo[] {
  const result: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      result.push({ pid: Number(entry), ppid: Number(fields[1]), cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return result;
}

export function descendantsOf(pid: number, processes = listProcesses()): number[] {
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const children = processes.filter((p) => frontier.includes(p.ppid)).map((p) => p.pid);
    found.push(...children);
    frontier = children;
  }
  return found;
}

export function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

export function alive(pid: number): boolean {
  return listProcesses().some((p) => p.pid === pid);
}

/** Resolves once none of `pids` is alive (zombies count as gone), or after `timeoutMs`; returns the survivors. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const living = new Set(listProcesses().map((p) => p.pid));
    const survivors = pids.filter((pid) => living.has(pid));
    if (survivors.length === 0 || Date.now() >= until) return survivors;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never rejects for a non-zero exit. */
export function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env: options.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        if (error instanceof Error && typeof code !== 'number') return reject(error);
        resolve({ exitCode: typeof code === 'number' ? code : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
