import { applicationSecretEnvRow, decryptSecret, keyId } from '../../../src/common/crypto/secret-box';
import type { ApplicationView } from '../../../src/applications/application.view';
import { bearer, createTestApp, type TestApp } from '../support/app';
import { bodyOf, errorOf, messagesOf, type OpenApiDocument } from '../support/bodies';
import { queryRow } from '../support/sql';
import {
  applicationBody,
  createServers,
  expectErrorBody,
  rowCounts,
  type Servers,
  unique,
} from './api-fixtures';

interface SecretEnvRow {
  secret_env_encrypted: string | null;
  secret_env_keys: string[];
}

/** The row's ciphertext, which the test expects to exist. */
function sealed(row: SecretEnvRow): string {
  if (row.secret_env_encrypted === null) throw new Error('expected secret_env_encrypted, found NULL');
  return row.secret_env_encrypted;
}

/** Every value sent as a secret in this file: none may ever come back in any response. */
const SECRETS = [
  'hunter2-db-password',
  'tok_live_abcdef',
  'sekret-with-newline',
  'sekret-in-env-too',
  'sekret-of-constructor',
];

describe('secretEnv on /api/applications', () => {
  let t: TestApp;
  let acme: string;
  let servers: Servers<1>;

  beforeAll(async () => {
    t = await createTestApp();
    acme = await t.tokenFor('acme');
    servers = await createServers(t, acme, 1);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    // No response of any route, status or filter ever carried a secret value.
    for (const body of t.sentBodies) for (const secret of SECRETS) expect(body).not.toContain(secret);
  });

  const post = (body: Record<string, unknown>) =>
    t.http.post('/api/applications').set(bearer(acme)).send(body);

  it('stores secretEnv encrypted and bound to the row, and answers only its sorted names', async () => {
    const response = await post(
      applicationBody([servers[0].id], {
        env: { NODE_ENV: 'production' },
        secretEnv: { DB_PASSWORD: SECRETS[0], API_TOKEN: SECRETS[1] },
      }),
    );
    expect(response.status).toBe(201);
    const created = bodyOf<ApplicationView>(response);
    expect(created.secretEnvKeys).toEqual(['API_TOKEN', 'DB_PASSWORD']);
    expect(created).not.toHaveProperty('secretEnv');
    expect(created.env).toEqual({ NODE_ENV: 'production' });

    const row = await queryRow<SecretEnvRow>(
      t.db.dataSource,
      'SELECT secret_env_encrypted, secret_env_keys, env FROM applications WHERE id = $1',
      [created.id],
    );
    expect(row.secret_env_encrypted).toMatch(new RegExp(`^v2:${keyId(t.config.appKey)}:`));
    expect(JSON.stringify(row)).not.toMatch(/hunter2|tok_live/);
    expect(row.secret_env_keys).toEqual(['API_TOKEN', 'DB_PASSWORD']);
    expect(
      JSON.parse(decryptSecret(sealed(row), t.config.appKey, applicationSecretEnvRow(created.id))),
    ).toEqual({ DB_PASSWORD: SECRETS[0], API_TOKEN: SECRETS[1] });

    const one = await t.http.get(`/api/applications/${created.id}`).set(bearer(acme));
    expect(bodyOf<ApplicationView>(one).secretEnvKeys).toEqual(['API_TOKEN', 'DB_PASSWORD']);
    expect(one.body).not.toHaveProperty('secretEnv');
    const list = await t.http.get('/api/applications').set(bearer(acme));
    expect(list.status).toBe(200);
    const listed = bodyOf<ApplicationView[]>(list).find((a) => a.id === created.id);
    expect(listed?.secretEnvKeys).toEqual(['API_TOKEN', 'DB_PASSWORD']);
  });

  it('keeps names that are also Object.prototype members, and refuses constructor naming it', async () => {
    const response = await post(
      applicationBody([servers[0].id], { secretEnv: { toString: SECRETS[4], valueOf: SECRETS[4] } }),
    );
    expect(response.status).toBe(201);
    const created = bodyOf<ApplicationView>(response);
    expect(created.secretEnvKeys).toEqual(['toString', 'valueOf']);
    const row = await queryRow<SecretEnvRow>(
      t.db.dataSource,
      'SELECT secret_env_encrypted FROM applications WHERE id = $1',
      [created.id],
    );
    const opened = decryptSecret(sealed(row), t.config.appKey, applicationSecretEnvRow(created.id));
    expect(JSON.parse(opened)).toEqual({ toString: SECRETS[4], valueOf: SECRETS[4] });

    const before = await rowCounts(t);
    const refused = await post(applicationBody([servers[0].id], { secretEnv: { constructor: SECRETS[4] } }));
    expect(refused.status).toBe(400);
    expect(errorOf(refused).message).toEqual(['property secretEnv.constructor should not exist']);
    expect(await rowCounts(t)).toEqual(before);
  });

  it('answers an empty secretEnvKeys and stores nothing when there is no secret env', async () => {
    for (const secretEnv of [undefined, {}]) {
      const response = await post(applicationBody([servers[0].id], secretEnv ? { secretEnv } : {}));
      expect(response.status).toBe(201);
      const created = bodyOf<ApplicationView>(response);
      expect(created.secretEnvKeys).toEqual([]);
      const row = await queryRow<SecretEnvRow>(
        t.db.dataSource,
        'SELECT secret_env_encrypted FROM applications WHERE id = $1',
        [created.id],
      );
      expect(row.secret_env_encrypted).toBeNull();
    }
  });

  it.each([
    [
      'a name also in env',
      { env: { DB_PASSWORD: 'plain' }, secretEnv: { DB_PASSWORD: SECRETS[3] } },
      'secretEnv has DB_PASSWORD, which is also in env: a variable is either in env or in secretEnv',
    ],
    [
      'a value with a newline',
      { secretEnv: { DB_PASSWORD: `${SECRETS[2]}\nINJECTED=1` } },
      'secretEnv value of DB_PASSWORD must not contain a line break (CR or LF)',
    ],
    [
      'a value with a carriage return',
      { secretEnv: { DB_PASSWORD: `${SECRETS[2]}\r` } },
      'secretEnv value of DB_PASSWORD must not contain a line break (CR or LF)',
    ],
    [
      'a value with NUL',
      { secretEnv: { DB_PASSWORD: `${SECRETS[2]}\u0000` } },
      'secretEnv value of DB_PASSWORD must not contain NUL (max 32768)',
    ],
    [
      'a lone surrogate',
      { secretEnv: { DB_PASSWORD: `${SECRETS[2]}\ud800` } },
      'secretEnv value of DB_PASSWORD must be valid Unicode (no lone surrogate)',
    ],
    ['a bad name', { secretEnv: { 'BAD NAME': SECRETS[2] } }, 'secretEnv has an invalid variable name'],
    ['a number', { secretEnv: { PORT: 5432 } }, 'secretEnv value of PORT must be a string'],
    ['an array', { secretEnv: [SECRETS[2]] }, 'secretEnv must be an object of strings'],
    ['a string', { secretEnv: SECRETS[2] }, 'secretEnv must be an object of strings'],
    [
      'a value longer than an env file line',
      { secretEnv: { BIG: `${SECRETS[2]}${'日'.repeat(32_000)}` } },
      'secretEnv value of BIG is too long: BIG=value must fit in 65535 bytes of UTF-8',
    ],
  ])(
    'refuses %s with a 400 naming the field, never the value, and changes nothing',
    async (_name, fields, message) => {
      const before = await rowCounts(t);
      const response = await post(applicationBody([servers[0].id], fields));
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400);
      expect(messagesOf(response).join('\n')).toContain(message);
      expect(await rowCounts(t)).toEqual(before);
    },
  );

  it('never echoes a secret from a malformed JSON body', async () => {
    const response = await t.http
      .post('/api/applications')
      .set(bearer(acme))
      .set('Content-Type', 'application/json')
      .send(`{"name":"${unique('shop')}","secretEnv":{"DB_PASSWORD":"${SECRETS[0]}"},}`);
    expect(response.status).toBe(400);
    expect(errorOf(response).message).toBe('Malformed JSON in request body');
  });

  it('documents secretEnv as a write-only object of strings in the OpenAPI schema', async () => {
    const document = await t.http.get('/docs-json');
    const openApi = bodyOf<OpenApiDocument>(document);
    const schema = openApi.components.schemas.CreateApplicationDto?.properties?.secretEnv;
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string' },
      writeOnly: true,
    });
  });
});
