import { SystemClock } from '../../src/common/clock';

/** The real clock, recording every sleep. */
export class RecordingClock extends SystemClock {
  readonly sleeps: number[] = [];

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return super.sleep(ms, signal);
  }
}
