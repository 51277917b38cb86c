/** Time as a port, so tests do not wait. */
export abstract class Clock {
  abstract now(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts (a cancelled deployment); never rejects. */
  abstract sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Runs `tick` every `ms` in the background, the next one `ms` after the previous ended (never two at
   * once), until the returned stop is called; a tick that throws does not end it.
   */
  abstract repeat(ms: number, tick: () => Promise<void>): () => void;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  repeat(ms: number, tick: () => Promise<void>): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(
        () => {
          tick()
            .catch(() => undefined)
            .finally(schedule);
        },
        Math.max(0, ms),
      );
      timer.unref();
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}
