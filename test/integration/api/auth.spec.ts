import { bearer, createTestApp, type TestApp } from '../support/app';
import { bodyOf, errorOf, type OpenApiDocument } from '../support/bodies';
import { expectErrorBody } from './api-fixtures';

const ROUTES: [method: 'get' | 'post' | 'delete', path: string][] = [
  ['post', '/api/servers'],
  ['get', '/api/servers'],
  ['get', '/api/servers/1'],
  ['delete', '/api/servers/1'],
  ['post', '/api/applications'],
  ['get', '/api/applications'],
  ['get', '/api/applications/1'],
  ['get', '/api/applications/1/instances'],
  ['delete', '/api/applications/1'],
  ['post', '/api/deployments'],
  ['get', '/api/deployments'],
  ['get', '/api/deployments?applicationId=1'],
  ['get', '/api/deployments/1'],
  ['get', '/api/deployments/1/batches'],
  ['post', '/api/deployments/1/rolling-update'],
  ['post', '/api/deployments/1/cancel'],
  ['post', '/api/deployments/1/rollback'],
];

const BAD_CREDENTIALS: [what: string, headers: Record<string, string>][] = [
  ['no Authorization header', {}],
  ['a malformed header', { Authorization: 'Token abc' }],
  ['an empty bearer', { Authorization: 'Bearer ' }],
  ['an unknown token', { Authorization: `Bearer rlt_${'A'.repeat(43)}` }],
];

describe('authentication and the HTTP basics', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.tokenFor('acme');
  });
  afterAll(() => t?.close());

  describe.each(ROUTES)('%s %s', (method, path) => {
    it.each(BAD_CREDENTIALS)('answers 401 with %s', async (_what, headers) => {
      const response = await t.http[method](path).set(headers).send({});
      expect(response.status).toBe(401);
      expectErrorBody(response.body, 401);
      expect(errorOf(response).error).toBe('Unauthorized');
    });
  });

  it('puts the team of the token on the request (a valid token reaches the route)', async () => {
    const response = await t.http.get('/api/servers').set(bearer(token));
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
  });

  it('serves the OpenAPI docs at /docs without a token', async () => {
    const page = await t.http.get('/docs/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger');
    const document = await t.http.get('/docs-json');
    expect(document.status).toBe(200);
    expect(Object.keys(bodyOf<OpenApiDocument>(document).paths)).toEqual(
      expect.arrayContaining([
        '/api/servers',
        '/api/applications/{id}/instances',
        '/api/deployments/{id}/rollback',
      ]),
    );
  });

  it('answers malformed JSON with 400 without quoting the body', async () => {
    const response = await t.http
      .post('/api/servers')
      .set(bearer(token))
      .set('Content-Type', 'application/json')
      .send('{"name": "web-1", "privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(response.status).toBe(400);
    expectErrorBody(response.body, 400);
    expect(errorOf(response).message).toBe('Malformed JSON in request body');
  });

  it('answers an unknown route with the contract error body', async () => {
    const response = await t.http.get('/api/nothing-here').set(bearer(token));
    expect(response.status).toBe(404);
    expectErrorBody(response.body, 404);
  });

  it('answers a non-numeric id with 400 naming it', async () => {
    const response = await t.http.get('/api/servers/abc').set(bearer(token));
    expect(response.status).toBe(400);
    expect(errorOf(response).message).toEqual(['id must be a positive integer']);
  });
});
