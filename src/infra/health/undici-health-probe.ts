import { Agent, Dispatcher, request } from 'undici';
import { Clock } from '../../common/clock';
import { hostKey, HostPolicy } from '../../common/network/host-policy';
import { DeniedAddressError, ResolvedAddresses } from '../../common/network/resolved-addresses';
import {
  HEALTH_CHECK_STOPPED,
  HealthCheckOutcome,
  HealthCheckSpec,
  HealthProbe,
} from '../../rollout/ports/health-probe.port';

interface Attempt {
  statusCode: number | null;
  error: string | null;
}

/** "Health check passed", saying which gates it passed when there were any beyond one pass. */
function passedMessage(successThreshold: number, minReadyMs: number): string {
  const gates = [
    ...(successThreshold > 1 ? [`${successThreshold} times in a row`] : []),
    ...(minReadyMs > 0 ? [`and kept passing for ${minReadyMs / 1000}s`] : []),
  ];
  return gates.length === 0 ? 'Health check passed' : `Health check passed ${gates.join(' ')}`;
}

/** Where one attempt goes: the URL with its host replaced by the address, and the Host header to send. */
type Target = { url: string; host: string } | { refused: string } | { error: string };

/**
 * Probes the instance directly, at the address the server's SSH connection resolved its host to
 * (`ResolvedAddresses`, shared with the SSH executor), never at a fresh DNS answer for the URL's name.
 */
export class UndiciHealthProbe extends HealthProbe {
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly clock: Clock,
    private readonly addresses: ResolvedAddresses = new ResolvedAddresses(new HostPolicy()),
    dispatcher?: Dispatcher,
  ) {
    super();
    // Every request closes its connection (`reset`), so a probe never lands on a socket the instance closed.
    this.dispatcher = dispatcher ?? new Agent({ keepAliveTimeout: 1000, connect: { timeout: 10_000 } });
  }

  async check(spec: HealthCheckSpec, signal?: AbortSignal): Promise<HealthCheckOutcome> {
    const started = this.clock.now().getTime();
    const elapsed = () => this.clock.now().getTime() - started;
    const maxAttempts = Math.max(1, Math.floor(spec.maxAttempts));
    const successThreshold = Math.max(1, Math.floor(spec.successThreshold ?? 1));
    const startPeriodMs = spec.startPeriodMs ?? 0;
    const minReadyMs = spec.minReadyMs ?? 0;
    let attempts = 0;
    /** Failed attempts after the start period: they count against `maxAttempts`. */
    let countedFailures = 0;
    let passesInARow = 0;
    /** When the instance reached `successThreshold` (ms since the first attempt); its bake starts then. */
    let readyAt: number | null = null;
    let last: Attempt = { statusCode: null, error: null };
    const outcome = (healthy: boolean, message: string): HealthCheckOutcome => ({
      healthy,
      statusCode: last.statusCode,
      attempts,
      elapsedMs: elapsed(),
      message,
      lastError: healthy ? null : last.error,
    });

    for (;;) {
      const target = await this.target(spec.url);
      if ('refused' in target)
        return { ...outcome(false, `Health check refused: ${target.refused}`), lastError: null };
      const left = spec.deadlineMs - elapsed();
      if (signal?.aborted) break;
      const attemptStartedAt = elapsed();
      attempts++;
      last =
        'error' in target
          ? { statusCode: null, error: target.error }
          : await this.attempt(target, Math.max(1, Math.min(spec.requestTimeoutMs, left)), signal);
      if (last.error === null) {
        passesInARow++;
        if (readyAt === null && passesInARow >= successThreshold) readyAt = elapsed();
        if (readyAt !== null && elapsed() - readyAt >= minReadyMs) {
          return outcome(true, passedMessage(successThreshold, minReadyMs));
        }
      } else {
        if (signal?.aborted) break;
        if (readyAt !== null) {
          const after = ((elapsed() - readyAt) / 1000).toFixed(1);
          return outcome(
            false,
            `Health check failed ${after}s after the instance passed, within minReadySeconds (${minReadyMs / 1000}s)`,
          );
        }
        passesInARow = 0;
        if (attemptStartedAt >= startPeriodMs) countedFailures++;
        if (countedFailures >= maxAttempts)
          return outcome(false, `Health check failed after ${attempts} attempts`);
      }
      // Stop when the deadline would pass before the next attempt could start: never sleep past it.
      const remaining = spec.deadlineMs - elapsed();
      if (remaining <= 0 || spec.intervalMs >= remaining) {
        return outcome(
          false,
          readyAt !== null
            ? `Health check deadline of ${spec.deadlineMs / 1000}s reached while the instance was proving itself (minReadySeconds ${minReadyMs / 1000}s)`
            : `Health check failed after ${attempts} attempts: deadline of ${spec.deadlineMs / 1000}s reached`,
        );
      }
      await this.clock.sleep(spec.intervalMs, signal);
    }
    // Stopped by a cancel: whatever the instance answered so far, it was not found healthy.
    return outcome(false, HEALTH_CHECK_STOPPED);
  }

  /** Closes the dispatcher's sockets (on shutdown). */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async target(specUrl: string): Promise<Target> {
    let url: URL;
    try {
      url = new URL(specUrl);
    } catch {
      return { error: `invalid URL ${specUrl}` };
    }
    let address: string;
    try {
      address = await this.addresses.recordedOrResolve(url.hostname);
    } catch (err) {
      if (err instanceof DeniedAddressError) return { refused: err.message };
      return { error: (err as Error).message };
    }
    const host = url.host;
    url.hostname = address.includes(':') ? `[${address}]` : address;
    // The URL setter ignores what it cannot represent (a zone id): never fall back to the name.
    if (hostKey(url.hostname) !== address) return { error: `cannot probe ${address} over HTTP` };
    return { url: url.toString(), host };
  }

  private async attempt(
    { url, host }: { url: string; host: string },
    timeoutMs: number,
    cancel?: AbortSignal,
  ): Promise<Attempt> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const stop = () => controller.abort();
    cancel?.addEventListener('abort', stop, { once: true });
    let statusCode: number | null = null;
    try {
      const response = await request(url, {
        method: 'GET',
        dispatcher: this.dispatcher,
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        reset: true,
        // The Host the application saw before: its own name (or address) and port, not the address used.
        headers: { host, 'user-agent': 'rollout-health-probe' },
      });
      statusCode = response.statusCode;
      await response.body.dump({ limit: 64 * 1024, signal: controller.signal });
      if (statusCode >= 200 && statusCode < 300) return { statusCode, error: null };
      return { statusCode, error: `HTTP ${statusCode}` };
    } catch (err) {
      if (cancel?.aborted) return { statusCode, error: 'request stopped by the cancel' };
      const timedOut = controller.signal.aborted || isTimeout(err);
      return { statusCode, error: timedOut ? `request timed out after ${timeoutMs}ms` : describeError(err) };
    } finally {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', stop);
    }
  }
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

/** Duck-typed: errors raised by Node internals may come from another realm (e.g. under Jest). */
function describeError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const { message, code, name, errors } = err as {
    message?: string;
    code?: string;
    name?: string;
    errors?: unknown[];
  };
  if (Array.isArray(errors) && errors.length > 0) return describeError(errors[0]);
  return message || code || name || 'unknown error';
}
