import { bearer, createTestApp, type TestApp } from '../support/app';
import { errorOf } from '../support/bodies';
import { createApplication, createServers } from './api-fixtures';

describe('GET /api/servers and /api/applications page like the deployment history', () => {
  let t: TestApp;
  let token: string;
  let serverIds: number[];
  let applicationIds: number[];

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.tokenFor('pager');
    const other = await t.tokenFor('pager-other');
    serverIds = (await createServers(t, token, 5)).map((server) => server.id);
    await createServers(t, other, 2);
    applicationIds = [];
    for (const serverId of serverIds.slice(0, 4)) {
      applicationIds.push((await createApplication(t, token, [serverId])).id);
    }
  });
  afterAll(() => t?.close());

  async function ids(path: string): Promise<number[]> {
    const response = await t.http.get(path).set(bearer(token));
    expect(response.status).toBe(200);
    return (response.body as { id: number }[]).map((item) => item.id);
  }

  it.each([
    ['servers', () => serverIds],
    ['applications', () => applicationIds],
  ])('%s: newest first, limit, and beforeId for the next page', async (collection, own) => {
    const newestFirst = [...own()].reverse();
    expect(await ids(`/api/${collection}`)).toEqual(newestFirst);
    const first = await ids(`/api/${collection}?limit=2`);
    expect(first).toEqual(newestFirst.slice(0, 2));
    const second = await ids(`/api/${collection}?limit=2&beforeId=${first[1]}`);
    expect(second).toEqual(newestFirst.slice(2, 4));
    expect(await ids(`/api/${collection}?beforeId=${newestFirst[newestFirst.length - 1]}`)).toEqual([]);
  });

  it.each(['servers', 'applications'])(
    '%s: refuses bad paging values naming the field',
    async (collection) => {
      for (const [query, field] of [
        ['limit=0', 'limit'],
        ['limit=501', 'limit'],
        ['limit=ten', 'limit'],
        ['limit=2&limit=3', 'limit'],
        ['beforeId=0', 'beforeId'],
        ['beforeId=1e3', 'beforeId'],
        ['beforeId=-5', 'beforeId'],
      ]) {
        const response = await t.http.get(`/api/${collection}?${query}`).set(bearer(token));
        expect(response.status).toBe(400);
        expect(JSON.stringify(errorOf(response).message)).toContain(field);
      }
    },
  );
});
