import type { CancelWatch } from '../../rollout/ports/rollout-store.port';

/**
 * How often a running rollout re-reads its cancel flag. Each read is one primary-key lookup; 4 rollouts per
 * worker make 16 a second, and a cancel reaches a waiting rollout within this interval plus one query.
 */
export const CANCEL_POLL_INTERVAL_MS = 250;

/**
 * A CancelWatch that asks `isCancelled` every `intervalMs` (never two reads at once) and aborts its signal on
 * the first `true`. A failed read (a database blip) is retried on the next tick: the engine also reads the
 * flag between steps, so a lost poll only delays the interruption. The timer does not keep the process alive.
 */
export function pollingCancelWatch(
  isCancelled: () => Promise<boolean>,
  intervalMs = CANCEL_POLL_INTERVAL_MS,
): CancelWatch {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = () => {
    timer = setTimeout(() => void poll(), intervalMs);
    timer.unref();
  };
  const poll = async () => {
    try {
      if ((await isCancelled()) && !closed) controller.abort();
    } catch {
      // Retried on the next tick.
    }
    if (!closed && !controller.signal.aborted) schedule();
  };

  schedule();
  return {
    signal: controller.signal,
    close: () => {
      closed = true;
      clearTimeout(timer);
    },
  };
}
