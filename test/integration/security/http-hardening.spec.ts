import { connectSocket } from '../../support/socket';
import { bearer } from '../support/app';
import { errorOf } from '../support/bodies';
import { startFullApp, type FullApp } from './full-app';

jest.setTimeout(60_000);

const ALLOWED = 'https://deploy.example.test';
const FOREIGN = 'https://evil.example.test';

describe('HTTP and socket.io hardening', () => {
  let f: FullApp;
  let token: string;

  beforeAll(async () => {
    f = await startFullApp({
      CORS_ORIGINS: ALLOWED,
      METRICS_TOKEN: 'metrics-secret-0123456789',
      AUTH_FAILURE_LIMIT: '20',
    });
    token = (await f.token('hardened')).token;
  });
  afterAll(() => f?.close());

  it('sends security headers and no X-Powered-By', async () => {
    const response = await f.http.get('/api/servers').set(bearer(token));
    expect(response.status).toBe(200);
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('refuses browser Origins not in CORS_ORIGINS, allows listed ones and clients without an Origin', async () => {
    const foreign = await f.http.get('/api/servers').set(bearer(token)).set('Origin', FOREIGN);
    expect(foreign.status).toBe(403);
    expect(errorOf(foreign).message).toContain('CORS_ORIGINS');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await f.http
      .options('/api/servers')
      .set('Origin', FOREIGN)
      .set('Access-Control-Request-Method', 'DELETE');
    expect(preflight.status).toBe(403);

    const listed = await f.http.get('/api/servers').set(bearer(token)).set('Origin', ALLOWED);
    expect(listed.status).toBe(200);
    expect(listed.headers['access-control-allow-origin']).toBe(ALLOWED);
    const listedPreflight = await f.http
      .options('/api/servers')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(listedPreflight.status).toBe(204);
    expect(listedPreflight.headers['access-control-allow-origin']).toBe(ALLOWED);

    const sameOrigin = await f.http.get('/api/servers').set(bearer(token)).set('Origin', f.url);
    expect(sameOrigin.status).toBe(200);
    expect((await f.http.get('/api/servers').set(bearer(token))).status).toBe(200);
    // An Origin that only starts like a listed one is another origin.
    const lookalike = await f.http
      .get('/api/servers')
      .set(bearer(token))
      .set('Origin', `${ALLOWED}.evil.test`);
    expect(lookalike.status).toBe(403);
  });

  it('needs METRICS_TOKEN for /metrics when it is set; /health stays public', async () => {
    expect((await f.http.get('/metrics')).status).toBe(401);
    expect((await f.http.get('/metrics').set(bearer('metrics-secret-012345678'))).status).toBe(401);
    expect((await f.http.get('/metrics').set(bearer(token))).status).toBe(401);
    const scraped = await f.http.get('/metrics').set(bearer('metrics-secret-0123456789'));
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('# HELP');
    expect((await f.http.get('/health')).status).toBe(200);
  });

  it("never throttles a valid token's steady traffic (180 requests at about 60 per second)", async () => {
    const statuses: number[] = [];
    for (let second = 0; second < 3; second++) {
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 60 }, () => f.http.get('/api/servers').set(bearer(token))),
      );
      statuses.push(...answers.map((answer) => answer.status));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(statuses).toHaveLength(180);
  });

  it('answers 429 with Retry-After to an address that keeps presenting bad tokens, but still serves valid ones', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 25; attempt++) {
      const response = await f.http
        .get('/api/servers')
        .set(bearer(`rlt_${String(attempt).padStart(43, 'x')}`));
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        expect(response.body).toEqual({
          statusCode: 429,
          error: 'Too Many Requests',
          message: expect.stringContaining('Too many failed authentication attempts') as string,
        });
      }
    }
    expect(statuses.slice(0, 19).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
    // The socket.io handshake counts as an attempt too, and is refused the same way.
    await expect(connectSocket(f.url, { token: 'rlt_nope' })).rejects.toThrow('Too many failed attempts');
    expect((await f.http.get('/api/servers').set(bearer(token))).status).toBe(200);
  });

  it('refuses socket.io from a foreign Origin and on the root namespace; accepts listed and Origin-less clients', async () => {
    await expect(connectSocket(f.url, { token, origin: FOREIGN })).rejects.toThrow();
    const listed = await connectSocket(f.url, { token, origin: ALLOWED });
    listed.close();
    const plain = await connectSocket(f.url, { token });
    plain.close();
    await expect(connectSocket(f.url, { token, namespace: '/' })).rejects.toThrow(
      'Connect to the /deployments namespace',
    );
  });
});
