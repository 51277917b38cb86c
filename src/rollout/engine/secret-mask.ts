export const MASK = '***';

/**
 * Replaces secret values in text that may have come from a remote host (docker's output, an inspect
 * dump) before it is recorded, logged or streamed. Each value is also masked in its JSON-escaped form,
 * since `docker inspect` prints the container's env as JSON.
 */
export class SecretMask {
  private readonly needles: string[];

  constructor(values: Iterable<string>) {
    const needles = new Set<string>();
    for (const value of values) {
      if (value === '') continue;
      needles.add(value);
      needles.add(JSON.stringify(value).slice(1, -1));
    }
    // Longest first, so a secret that contains another is masked whole.
    this.needles = [...needles].sort((a, b) => b.length - a.length);
  }

  static none(): SecretMask {
    return new SecretMask([]);
  }

  get empty(): boolean {
    return this.needles.length === 0;
  }

  text(text: string): string {
    let result = text;
    for (const needle of this.needles) result = result.split(needle).join(MASK);
    return result;
  }

  /** Every string inside arrays and plain objects masked; other values (dates, numbers) kept. */
  deep<T>(value: T): T {
    if (this.empty) return value;
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.walk(item)]));
    }
    return value;
  }
}

export function secretMaskOf(application: { secretEnv?: Record<string, string> }): SecretMask {
  return new SecretMask(Object.values(application.secretEnv ?? {}));
}
