import { request } from 'node:http';

const POLL_MS = 20;

/** Polls `http://address:port/` every 20 ms until the instance answers 200 with `tag`; throws after `timeoutMs`. */
export async function waitForTag(
  address: string,
  port: number,
  tag: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const started = performance.now();
    if ((await servedTag(address, port)) === tag) return;
    if (performance.now() > deadline)
      throw new Error(`${address}:${port} did not serve ${tag} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, POLL_MS - (performance.now() - started))));
  }
}

function servedTag(address: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? String((JSON.parse(text) as { tag: unknown }).tag) : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}
