import { Agent, request } from 'node:http';

export interface LoadOptions {
  url: string;
  concurrency?: number;
  /** true: reuse connections (an Agent with keep-alive); false: `Connection: close` on every request. */
  keepAlive?: boolean;
  /** The load stops by itself after this long. */
  maxDurationMs?: number;
  /** Timeout of one request. */
  requestTimeoutMs?: number;
}

export interface LoadReport {
  sent: number;
  ok: number;
  failed: number;
  durationMs: number;
  /** Failures by reason: an error code (`ECONNRESET`) or `HTTP <status>`. */
  failuresByReason: Record<string, number>;
  /** The first failures, with the time since the start. */
  failureSample: string[];
  /** How many responses carried each `tag` in their JSON body (any status). */
  tags: Record<string, number>;
}

export interface RunningLoad {
  /** A copy of the counts so far. */
  snapshot(): LoadReport;
  /** Resolves once `count` more responses came back with 2xx (to know the load is flowing). */
  waitForOk(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<LoadReport>;
}

const SAMPLE_SIZE = 20;

export function startLoad(options: LoadOptions): RunningLoad {
  const {
    url,
    concurrency = 8,
    keepAlive = true,
    maxDurationMs = 300_000,
    requestTimeoutMs = 10_000,
  } = options;
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: concurrency }) : undefined;
  const started = Date.now();
  const report: LoadReport = {
    sent: 0,
    ok: 0,
    failed: 0,
    durationMs: 0,
    failuresByReason: {},
    failureSample: [],
    tags: {},
  };
  let stopping = false;
  const stopTimer = setTimeout(() => (stopping = true), maxDurationMs);

  const fail = (reason: string) => {
    report.failed++;
    report.failuresByReason[reason] = (report.failuresByReason[reason] ?? 0) + 1;
    if (report.failureSample.length < SAMPLE_SIZE)
      report.failureSample.push(`${Date.now() - started}ms ${reason}`);
  };

  const once = () =>
    new Promise<void>((resolve) => {
      report.sent++;
      const req = request(url, {
        agent: agent ?? false,
        headers: keepAlive ? {} : { connection: 'close' },
        timeout: requestTimeoutMs,
      });
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        fail(err.code ?? err.message);
        resolve();
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err: NodeJS.ErrnoException) => {
          fail(err.code ?? err.message);
          resolve();
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const tag = tagOf(Buffer.concat(chunks).toString('utf8'));
          if (tag !== null) report.tags[tag] = (report.tags[tag] ?? 0) + 1;
          if (status >= 200 && status < 300) report.ok++;
          else fail(`HTTP ${status}`);
          resolve();
        });
      });
      req.end();
    });

  const worker = async () => {
    while (!stopping) {
      const failedBefore = report.failed;
      await once();
      // After a failure (e.g. connection refused) pause briefly, so a dead target does not spin the CPU.
      if (report.failed > failedBefore) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const workers = Promise.all(Array.from({ length: concurrency }, worker));
  const snapshot = (): LoadReport => ({
    ...report,
    durationMs: Date.now() - started,
    failuresByReason: { ...report.failuresByReason },
    failureSample: [...report.failureSample],
    tags: { ...report.tags },
  });

  return {
    snapshot,
    async waitForOk(count, timeoutMs = 10_000) {
      const target = report.ok + count;
      const until = Date.now() + timeoutMs;
      while (report.ok < target) {
        if (Date.now() > until || stopping)
          throw new Error(`load: fewer than ${count} ok responses: ${JSON.stringify(snapshot())}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop() {
      stopping = true;
      clearTimeout(stopTimer);
      await workers;
      agent?.destroy();
      return snapshot();
    },
  };
}

function tagOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { tag?: unknown };
    return typeof parsed.tag === 'string' ? parsed.tag : null;
  } catch {
    return null;
  }
}
