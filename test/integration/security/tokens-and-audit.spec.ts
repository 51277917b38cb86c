import { AuditService } from '../../../src/audit/audit.service';
import { TokenService } from '../../../src/auth/token.service';
import { ApiTokenEntity } from '../../../src/auth/api-token.entity';
import { defined } from '../../support/defined';
import { bearer } from '../support/app';
import { bodyOf, errorOf } from '../support/bodies';
import { applicationBody, serverBody } from '../api/api-fixtures';
import { startFullApp, type FullApp } from './full-app';

jest.setTimeout(60_000);

describe('token scopes, expiry, revocation and the audit log', () => {
  let f: FullApp;
  let admin: { token: string; id: number; teamId: number };
  let serverId: number;
  let applicationId: number;

  beforeAll(async () => {
    f = await startFullApp();
    admin = await f.token('scoped', { name: 'ops' });
    const server = await f.http.post('/api/servers').set(bearer(admin.token)).send(serverBody());
    serverId = bodyOf<{ id: number }>(server).id;
    const application = await f.http
      .post('/api/applications')
      .set(bearer(admin.token))
      .send(applicationBody([serverId]));
    applicationId = bodyOf<{ id: number }>(application).id;
  });
  afterAll(() => f?.close());

  async function newDeployment(token: string): Promise<{ status: number; id?: number }> {
    const response = await f.http
      .post('/api/deployments')
      .set(bearer(token))
      .send({ applicationId, tag: 'v2' });
    return { status: response.status, id: bodyOf<{ id?: number }>(response).id };
  }

  it('lets a read token GET and nothing else (403)', async () => {
    const { token } = await f.token('scoped', { scope: 'read' });
    expect((await f.http.get('/api/servers').set(bearer(token))).status).toBe(200);
    expect((await f.http.get(`/api/applications/${applicationId}`).set(bearer(token))).status).toBe(200);
    const denied = await newDeployment(token);
    expect(denied.status).toBe(403);
    const post = await f.http.post('/api/servers').set(bearer(token)).send(serverBody());
    expect(post.status).toBe(403);
    expect(post.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: expect.stringContaining('scope "read"') as string,
    });
    expect((await f.http.delete(`/api/servers/${serverId}`).set(bearer(token))).status).toBe(403);
    expect((await f.http.get('/api/audit').set(bearer(token))).status).toBe(403);
  });

  it('lets a deploy token create, start and cancel deployments but not change servers or applications', async () => {
    const { token } = await f.token('scoped', { scope: 'deploy' });
    const created = await newDeployment(token);
    expect(created.status).toBe(201);
    const cancel = await f.http.post(`/api/deployments/${created.id}/cancel`).set(bearer(token));
    expect(cancel.status).not.toBe(403);
    expect((await f.http.post('/api/servers').set(bearer(token)).send(serverBody())).status).toBe(403);
    expect((await f.http.delete(`/api/applications/${applicationId}`).set(bearer(token))).status).toBe(403);
    expect((await f.http.get('/api/audit').set(bearer(token))).status).toBe(403);
    // Nothing was deleted by the refused request.
    expect((await f.http.get(`/api/applications/${applicationId}`).set(bearer(token))).status).toBe(200);
  });

  it('refuses an expired token at once with 401', async () => {
    const { token, id } = await f.token('scoped', { scope: 'admin', expiresInMs: 60_000 });
    expect((await f.http.get('/api/servers').set(bearer(token))).status).toBe(200);
    await f.db.dataSource.query(
      `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [id],
    );
    const response = await f.http.get('/api/servers').set(bearer(token));
    expect(response.status).toBe(401);
    expect(errorOf(response).message).toBe('Invalid, expired or revoked API token');
  });

  it('refuses a revoked token on its very next request', async () => {
    const { token, id } = await f.token('scoped', { scope: 'admin' });
    expect((await f.http.get('/api/servers').set(bearer(token))).status).toBe(200);
    await f.app.get(TokenService).revoke(id);
    expect((await f.http.get('/api/servers').set(bearer(token))).status).toBe(401);
  });

  it('records when a token was last used', async () => {
    const { token, id } = await f.token('scoped', { scope: 'read' });
    const repository = f.db.dataSource.getRepository(ApiTokenEntity);
    expect((await repository.findOneByOrFail({ id })).lastUsedAt).toBeNull();
    await f.http.get('/api/servers').set(bearer(token));
    await f.app.get(TokenService).settle();
    const used = (await repository.findOneByOrFail({ id })).lastUsedAt;
    expect(used).toBeInstanceOf(Date);
    expect(Math.abs(Date.now() - (used as Date).getTime())).toBeLessThan(10_000);
  });

  it('audits every state-changing request (who, what, target, outcome), newest first, admin only', async () => {
    const { token: deployer, id: deployerId } = await f.token('scoped', { scope: 'deploy' });
    const created = await newDeployment(deployer);
    await f.http.post('/api/servers').set(bearer(deployer)).send(serverBody());
    await f.http.post('/api/deployments/999999/cancel').set(bearer(deployer));
    await f.http.post('/api/servers').set(bearer(admin.token)).send({ name: '' });
    await f.http.get('/api/servers').set(bearer(admin.token));
    await f.app.get(AuditService).settle();

    const page = await f.http.get('/api/audit?limit=4').set(bearer(admin.token));
    expect(page.status).toBe(200);
    expect(page.body).toEqual([
      {
        id: expect.any(Number) as number,
        at: expect.any(String) as string,
        tokenId: admin.id,
        method: 'POST',
        route: '/api/servers',
        targetId: null,
        statusCode: 400,
      },
      expect.objectContaining({
        tokenId: deployerId,
        method: 'POST',
        route: '/api/deployments/:id/cancel',
        targetId: 999999,
        statusCode: 404,
      }),
      expect.objectContaining({ tokenId: deployerId, route: '/api/servers', statusCode: 403 }),
      expect.objectContaining({
        tokenId: deployerId,
        method: 'POST',
        route: '/api/deployments',
        targetId: created.id,
        statusCode: 201,
      }),
    ]);
    const ids = bodyOf<{ id: number }[]>(page).map((entry) => entry.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const fourth = defined(ids[3], 'a fourth audit entry');
    const next = await f.http.get(`/api/audit?limit=500&beforeId=${fourth}`).set(bearer(admin.token));
    expect(bodyOf<{ id: number }[]>(next).every((entry) => entry.id < fourth)).toBe(true);
    expect(JSON.stringify(next.body)).toContain('"route":"/api/applications"');
    expect(JSON.stringify([page.body, next.body])).not.toContain('rlt_');
  });

  it("keeps each team's audit log to itself and validates its paging", async () => {
    const other = await f.token('audit-outsider');
    const response = await f.http.get('/api/audit').set(bearer(other.token));
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
    for (const query of ['limit=0', 'limit=501', 'limit=abc', 'beforeId=-1', 'limit=1.5']) {
      const bad = await f.http.get(`/api/audit?${query}`).set(bearer(admin.token));
      expect(bad.status).toBe(400);
    }
  });
});
