import { Clock } from '../../src/common/clock';

/**
 * A clock that advances only when something sleeps; records every sleep. A sleep whose signal is aborted
 * (before it starts, or by `onSleep`, which runs at its start) ends at once without advancing the time:
 * a test can make something happen "during" a wait (awaited when it returns a promise) and see the wait
 * cut short.
 */
export class FixedClock extends Clock {
  readonly sleeps: number[] = [];
  onSleep: ((ms: number) => void | Promise<void>) | null = null;
  private current: number;

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    super();
    this.current = start;
  }

  now(): Date {
    return new Date(this.current);
  }

  /** What `repeat` was asked to run, by period; `fireRepeats` runs each live one once. */
  readonly repeats: { ms: number; tick: () => Promise<void>; stopped: boolean }[] = [];

  repeat(ms: number, tick: () => Promise<void>): () => void {
    const entry = { ms, tick, stopped: false };
    this.repeats.push(entry);
    return () => {
      entry.stopped = true;
    };
  }

  async fireRepeats(): Promise<void> {
    for (const entry of this.repeats.filter((r) => !r.stopped)) await entry.tick();
  }

  advance(ms: number): void {
    this.current += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    await this.onSleep?.(ms);
    if (!signal?.aborted) this.current += Math.max(0, ms);
  }
}
