import { decryptSecret, serverPrivateKeyRow } from '../../../src/common/crypto/secret-box';
import type { ServerView } from '../../../src/servers/server.view';
import { bearer, createTestApp, type TestApp } from '../support/app';
import { bodyOf, errorOf } from '../support/bodies';
import { queryRow } from '../support/sql';
import {
  createApplication,
  createServer,
  expectErrorBody,
  expectNoPrivateKeySent,
  PRIVATE_KEY,
  rowCounts,
  serverBody,
} from './api-fixtures';

describe('/api/servers', () => {
  let t: TestApp;
  let acme: string;
  let globex: string;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await t.tokenFor('acme');
    globex = await t.tokenFor('globex');
  });
  afterAll(async () => {
    await t?.close();
    expectNoPrivateKeySent(t);
  });

  it('registers a server (201) without ever showing its key, with port 22 and user root by default', async () => {
    const response = await t.http
      .post('/api/servers')
      .set(bearer(acme))
      .send({ name: 'web-1', host: '10.0.0.5', privateKey: PRIVATE_KEY });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(Number) as number,
      name: 'web-1',
      host: '10.0.0.5',
      port: 22,
      user: 'root',
      hostKeyFingerprint: null,
      createdAt: expect.any(String) as string,
      updatedAt: expect.any(String) as string,
    });
    const { createdAt } = bodyOf<ServerView>(response);
    expect(new Date(createdAt).toISOString()).toBe(createdAt);
  });

  it('stores the private key encrypted with APP_KEY', async () => {
    const server = await createServer(t, acme);
    const row = await queryRow<{ private_key_encrypted: string }>(
      t.db.dataSource,
      'SELECT private_key_encrypted FROM servers WHERE id = $1',
      [server.id],
    );
    expect(row.private_key_encrypted).not.toContain('PRIVATE KEY');
    expect(decryptSecret(row.private_key_encrypted, t.config.appKey, serverPrivateKeyRow(server.id))).toBe(
      PRIVATE_KEY,
    );
  });

  it('keeps the given port, user, IPv6 host and fingerprint', async () => {
    const fingerprint = `SHA256:${'a1B2+/'.repeat(7)}x`;
    const response = await t.http
      .post('/api/servers')
      .set(bearer(acme))
      .send(serverBody({ host: '2001:db8::1', port: 2222, user: 'deploy', hostKeyFingerprint: fingerprint }));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      host: '2001:db8::1',
      port: 2222,
      user: 'deploy',
      hostKeyFingerprint: fingerprint,
    });
  });

  it('lists and shows only the team’s servers', async () => {
    const mine = await createServer(t, acme, { host: 'db.internal.example' });
    const theirs = await createServer(t, globex);
    const list = await t.http.get('/api/servers').set(bearer(acme));
    expect(list.status).toBe(200);
    const ids = bodyOf<ServerView[]>(list).map((server) => server.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    const one = await t.http.get(`/api/servers/${mine.id}`).set(bearer(acme));
    expect(one.status).toBe(200);
    expect(one.body).toEqual(mine);
  });

  it('answers 404 for another team’s server exactly as for a missing one', async () => {
    const theirs = await createServer(t, globex);
    const other = await t.http.get(`/api/servers/${theirs.id}`).set(bearer(acme));
    const missing = await t.http.get('/api/servers/999999').set(bearer(acme));
    expect(other.status).toBe(404);
    expectErrorBody(other.body, 404);
    expect(errorOf(other).message).toBe(`Server ${theirs.id} not found`);
    expect(errorOf(missing).message).toBe('Server 999999 not found');
    const removal = await t.http.delete(`/api/servers/${theirs.id}`).set(bearer(acme));
    expect(removal.status).toBe(404);
    expect((await t.http.get(`/api/servers/${theirs.id}`).set(bearer(globex))).status).toBe(200);
  });

  it('refuses a duplicate name in the team (409) but allows it in another team', async () => {
    await createServer(t, acme, { name: 'twin' });
    const before = await rowCounts(t);
    const duplicate = await t.http
      .post('/api/servers')
      .set(bearer(acme))
      .send(serverBody({ name: 'twin' }));
    expect(duplicate.status).toBe(409);
    expectErrorBody(duplicate.body, 409);
    expect(errorOf(duplicate).message).toContain('twin');
    expect(await rowCounts(t)).toEqual(before);
    const elsewhere = await t.http
      .post('/api/servers')
      .set(bearer(globex))
      .send(serverBody({ name: 'twin' }));
    expect(elsewhere.status).toBe(201);
  });

  it('deletes an unused server (204), after which it is gone', async () => {
    const server = await createServer(t, acme);
    const removal = await t.http.delete(`/api/servers/${server.id}`).set(bearer(acme));
    expect(removal.status).toBe(204);
    expect(removal.text).toBe('');
    expect((await t.http.get(`/api/servers/${server.id}`).set(bearer(acme))).status).toBe(404);
  });

  it('refuses to delete a server an application runs on (409 naming the application)', async () => {
    const server = await createServer(t, acme);
    await createApplication(t, acme, [server.id], { name: 'billing' });
    const removal = await t.http.delete(`/api/servers/${server.id}`).set(bearer(acme));
    expect(removal.status).toBe(409);
    expectErrorBody(removal.body, 409);
    expect(errorOf(removal).message).toContain('billing');
    expect((await t.http.get(`/api/servers/${server.id}`).set(bearer(acme))).status).toBe(200);
  });

  it('refuses to delete the load balancer server of an application (409 naming it)', async () => {
    const [app, lb] = [await createServer(t, acme), await createServer(t, acme)];
    await createApplication(t, acme, [app.id], {
      name: 'front',
      loadBalancer: { type: 'haproxy', serverId: lb.id, backend: 'front' },
    });
    const removal = await t.http.delete(`/api/servers/${lb.id}`).set(bearer(acme));
    expect(removal.status).toBe(409);
    expect(errorOf(removal).message).toContain('front');
  });

  it.each([
    ['169.254.169.254', ''],
    ['2852039166', ' (169.254.169.254)'],
    ['0xa9fea9fe', ' (169.254.169.254)'],
    ['0251.0376.0251.0376', ' (169.254.169.254)'],
    ['169.254.43518', ' (169.254.169.254)'],
    ['::ffff:169.254.169.254', ' (::ffff:a9fe:a9fe)'],
    ['::FFFF:A9FE:A9FE', ' (::ffff:a9fe:a9fe)'],
  ])(
    'refuses host %s inside SERVER_HOST_DENYLIST (400 naming host, nothing created)',
    async (host, meaning) => {
      const before = await rowCounts(t);
      const response = await t.http.post('/api/servers').set(bearer(acme)).send(serverBody({ host }));
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400);
      expect(errorOf(response).message).toEqual([
        `host ${host}${meaning} is inside SERVER_HOST_DENYLIST (169.254.0.0/16)`,
      ]);
      expect(await rowCounts(t)).toEqual(before);
    },
  );

  it('refuses a host that looks like an IPv4 address but is not one (400), and leaves names to connection time', async () => {
    const before = await rowCounts(t);
    const odd = await t.http
      .post('/api/servers')
      .set(bearer(acme))
      .send(serverBody({ host: '169.254.169.256' }));
    expect(odd.status).toBe(400);
    expect(errorOf(odd).message).toEqual(['host looks like an IPv4 address but is not a valid one']);
    for (const host of ['[169.254.169.254]', '169.254.169.254.', 'fe80::1%eth0%x']) {
      const refused = await t.http.post('/api/servers').set(bearer(acme)).send(serverBody({ host }));
      expect(refused.status).toBe(400);
      expect(errorOf(refused).message).toEqual([expect.stringMatching(/^host /) as string]);
    }
    expect(await rowCounts(t)).toEqual(before);
    // A name is not resolved at registration (no DNS at request time); a connection checks what it resolves to.
    const named = await t.http
      .post('/api/servers')
      .set(bearer(acme))
      .send(serverBody({ host: '169.254.169.254.nip.io' }));
    expect(named.status).toBe(201);
  });
});
