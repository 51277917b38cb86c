import {
  HEALTH_CHECK_STOPPED,
  HealthCheckOutcome,
  HealthCheckSpec,
  HealthProbe,
} from '../../src/rollout/ports';

/**
 * Answers each health check from a script keyed by URL (host:port); records every spec asked for and
 * whether a cancel signal came with it. `onCheck` runs as a check starts (e.g. to cancel "during" it); a
 * check whose signal is aborted by then stops as the real probe does.
 */
export class ScriptedProbe extends HealthProbe {
  readonly checks: HealthCheckSpec[] = [];
  readonly signals: (AbortSignal | undefined)[] = [];
  onCheck: ((spec: HealthCheckSpec) => void) | null = null;
  private readonly scripts: { match: string; outcomes: boolean[] }[] = [];

  /** The next checks of URLs containing `match` answer these, in order (the last one repeats). */
  script(match: string, ...healthy: boolean[]): this {
    this.scripts.unshift({ match, outcomes: healthy });
    return this;
  }

  /** The one-request checks of serving instances (`checkNow`), kept apart from `checks`. */
  readonly liveChecks: HealthCheckSpec[] = [];
  private readonly liveScripts: { match: string; outcomes: boolean[] }[] = [];

  /** The next `checkNow`s of URLs containing `match` answer these, as `script` does for `check`. */
  scriptLive(match: string, ...healthy: boolean[]): this {
    this.liveScripts.unshift({ match, outcomes: healthy });
    return this;
  }

  override checkNow(spec: HealthCheckSpec): Promise<HealthCheckOutcome> {
    this.liveChecks.push(spec);
    return Promise.resolve(answer(spec, nextOutcome(this.liveScripts, spec.url)));
  }

  check(spec: HealthCheckSpec, signal?: AbortSignal): Promise<HealthCheckOutcome> {
    this.checks.push(spec);
    this.signals.push(signal);
    this.onCheck?.(spec);
    if (signal?.aborted) {
      return Promise.resolve({
        healthy: false,
        statusCode: null,
        attempts: 0,
        elapsedMs: 0,
        message: HEALTH_CHECK_STOPPED,
        lastError: null,
      });
    }
    return Promise.resolve(answer(spec, nextOutcome(this.scripts, spec.url)));
  }
}

/** Each scripted outcome is used once, the last one from then on; no script is healthy, an empty one not. */
function nextOutcome(scripts: { match: string; outcomes: boolean[] }[], url: string): boolean {
  const script = scripts.find((s) => url.includes(s.match));
  if (script === undefined) return true;
  return (script.outcomes.length > 1 ? script.outcomes.shift() : script.outcomes[0]) === true;
}

function answer(spec: HealthCheckSpec, healthy: boolean): HealthCheckOutcome {
  return healthy
    ? {
        healthy,
        statusCode: 200,
        attempts: 1,
        elapsedMs: 5,
        message: 'Health check passed',
        lastError: null,
      }
    : {
        healthy,
        statusCode: 500,
        attempts: spec.maxAttempts,
        elapsedMs: 50,
        message: `Health check failed after ${spec.maxAttempts} attempts`,
        lastError: 'HTTP 500',
      };
}
