import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * `npm start`: the API and one worker on one machine. Each child gets its own process group, so a
 * terminal's Ctrl-C reaches it once (through us) and the worker's graceful shutdown is not cut short
 * by a second signal. When either child ends, the other is stopped and we exit with the first code.
 */
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const children = new Map<string, ChildProcess>();
let exitCode: number | null = null;

function start(name: string, script: string): void {
  const child = spawn(process.execPath, [join(__dirname, script)], { stdio: 'inherit', detached: true });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (exitCode === null) {
      exitCode = code ?? (signal ? 1 : 0);
      process.stderr.write(`${name} exited (${signal ?? `code ${code}`}); stopping the rest\n`);
      stopAll('SIGTERM');
    }
    if (children.size === 0) process.exit(exitCode);
  });
}

function stopAll(signal: NodeJS.Signals): void {
  for (const child of children.values()) child.kill(signal);
}

for (const signal of SIGNALS) {
  process.on(signal, () => {
    exitCode ??= 0;
    stopAll(signal);
  });
}
// Should we die without a signal (an uncaught error), do not leave the children behind.
process.on('exit', () => stopAll('SIGTERM'));

start('api', 'main.js');
start('worker', 'worker.js');
