import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Who runs the embedded PostgreSQL of a data folder and on which port: read by the CLI to reach it. */
export interface RuntimeRecord {
  /** The Rollout process that started the server and will stop it. */
  pid: number;
  port: number;
}

export function runtimeRecordPath(dataDir: string): string {
  return join(dataDir, 'postgres.json');
}

export function readRuntimeRecord(dataDir: string): RuntimeRecord | null {
  try {
    const parsed = JSON.parse(readFileSync(runtimeRecordPath(dataDir), 'utf8')) as Partial<RuntimeRecord>;
    if (!Number.isSafeInteger(parsed.pid) || !Number.isSafeInteger(parsed.port)) return null;
    return { pid: parsed.pid as number, port: parsed.port as number };
  } catch {
    return null;
  }
}

export function writeRuntimeRecord(dataDir: string, record: RuntimeRecord): void {
  writeFileSync(runtimeRecordPath(dataDir), `${JSON.stringify(record)}\n`, { mode: 0o644 });
}

export function removeRuntimeRecord(dataDir: string, pid: number): void {
  if (readRuntimeRecord(dataDir)?.pid === pid) rmSync(runtimeRecordPath(dataDir), { force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
