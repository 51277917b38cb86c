import { Clock } from '../../src/common/clock';

/** A clock that advances only when something sleeps; records every sleep. */
export class FixedClock extends Clock {
  readonly sleeps: number[] = [];
  private current: number;

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    super();
    this.current = start;
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += Math.max(0, ms);
  }
}
