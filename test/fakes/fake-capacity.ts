import type { Responder } from './recording-executor';

export interface ReportedCapacity {
  /** `MemAvailable` in kB, as /proc/meminfo prints it. */
  memAvailableKb: number;
  /** `df -P -k`'s Available column (1024-byte blocks). */
  diskAvailableKb: number;
  /** Whether the data path exists on the server (otherwise the command measures `/`). */
  dataPathExists: boolean;
}

const PLENTY: ReportedCapacity = {
  memAvailableKb: 8 * 1024 * 1024,
  diskAvailableKb: 50 * 1024 * 1024,
  dataPathExists: true,
};

/**
 * Answers the capacity command (`sh -c … sh PATH`, see `commands/capacity-commands.ts`) the way a Linux
 * server prints it, with figures set per server (plenty by default), and records which servers were asked.
 */
export class FakeCapacity {
  /** Server names in the order their capacity was asked for. */
  readonly asked: string[] = [];
  private readonly reported = new Map<string, ReportedCapacity>();
  private readonly failures = new Map<string, { exitCode: number; stdout: string; stderr: string }>();

  report(server: string, capacity: Partial<ReportedCapacity>): this {
    this.reported.set(server, { ...PLENTY, ...this.reported.get(server), ...capacity });
    return this;
  }

  /** The command itself fails on that server (e.g. a host without /proc). */
  fail(server: string, result: { exitCode?: number; stdout?: string; stderr?: string }): this {
    this.failures.set(server, { exitCode: 1, stdout: '', stderr: '', ...result });
    return this;
  }

  readonly responder: Responder = (server, _line, command) => {
    const [shell, flag, script, , path] = command.argv;
    if (shell !== 'sh' || flag !== '-c' || !script?.includes('/proc/meminfo') || path === undefined) {
      return undefined;
    }
    this.asked.push(server.name);
    const failure = this.failures.get(server.name);
    if (failure) return failure;
    const figures = this.reported.get(server.name) ?? PLENTY;
    const measured = figures.dataPathExists ? path : '/';
    return {
      stdout: [
        `path ${measured}`,
        `MemAvailable:   ${figures.memAvailableKb} kB`,
        'Filesystem     1024-blocks     Used Available Capacity Mounted on',
        `/dev/vda1        264212084 24674196 ${figures.diskAvailableKb}      24% /`,
        '',
      ].join('\n'),
    };
  };
}
