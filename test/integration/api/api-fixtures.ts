import { randomBytes } from 'node:crypto';
import { usableEd25519Key } from '../../support/ssh-keys';
import type { ApplicationView } from '../../../src/applications/application.view';
import type { DeploymentView } from '../../../src/rollout/domain';
import type { ServerView } from '../../../src/servers/server.view';
import { bearer, type TestApp } from '../support/app';
import { queryRow } from '../support/sql';

/** A real (throwaway) ed25519 key in OpenSSH format, and one protected by a passphrase. */
export const PRIVATE_KEY = usableEd25519Key();
export const ENCRYPTED_PRIVATE_KEY = usableEd25519Key('secret');

export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function serverBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: unique('web'), host: '10.0.0.5', privateKey: PRIVATE_KEY, ...overrides };
}

export function applicationBody(
  serverIds: number[],
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: unique('shop'),
    image: 'ghcr.io/acme/shop',
    tag: 'v1',
    containerPort: 3000,
    hostPort: 8080,
    serverIds,
    ...overrides,
  };
}

function created<T>(response: { status: number; body: unknown; text: string }, expected = 201): T {
  if (response.status !== expected)
    throw new Error(`expected ${expected}, got ${response.status}: ${response.text}`);
  return response.body as T;
}

export async function createServer(t: TestApp, token: string, overrides = {}): Promise<ServerView> {
  return created(await t.http.post('/api/servers').set(bearer(token)).send(serverBody(overrides)));
}

/** `[T, T, …]` with `N` elements: a list the test may index without checking each element. */
type TupleOf<T, N extends number, Built extends T[] = []> = number extends N
  ? T[]
  : Built['length'] extends N
    ? Built
    : TupleOf<T, N, [...Built, T]>;

export type Servers<N extends number> = TupleOf<ServerView, N>;

/** `count` new servers of the team, typed as a tuple of that length. */
export async function createServers<N extends number>(
  t: TestApp,
  token: string,
  count: N,
): Promise<Servers<N>> {
  const servers: ServerView[] = [];
  for (let i = 0; i < count; i++) servers.push(await createServer(t, token));
  return servers as Servers<N>;
}

export async function createApplication(
  t: TestApp,
  token: string,
  serverIds: number[],
  overrides = {},
): Promise<ApplicationView> {
  return created(
    await t.http.post('/api/applications').set(bearer(token)).send(applicationBody(serverIds, overrides)),
  );
}

export async function createDeployment(
  t: TestApp,
  token: string,
  applicationId: number,
  tag = 'v2',
): Promise<DeploymentView> {
  return created(await t.http.post('/api/deployments').set(bearer(token)).send({ applicationId, tag }));
}

const TABLES = [
  'teams',
  'servers',
  'applications',
  'application_servers',
  'application_instances',
  'deployments',
  'deployment_batches',
  'deployment_events',
] as const;

/** Row counts of every table the API writes, to assert that a refused request changed nothing. */
export async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    counts[table] = (
      await queryRow<{ n: number }>(t.db.dataSource, `SELECT count(*)::int AS n FROM ${table}`)
    ).n;
  }
  return counts;
}

/** A deployment's stored status and options, to assert what a request changed. */
export async function storedDeployment(t: TestApp, id: number): Promise<Record<string, unknown>> {
  return queryRow<Record<string, unknown>>(t.db.dataSource, `SELECT * FROM deployments WHERE id = $1`, [id]);
}

/** No response of the app, whatever its route or status, ever carried a private key. */
export function expectNoPrivateKeySent(t: TestApp): void {
  expect(t.sentBodies.length).toBeGreaterThan(0);
  for (const body of t.sentBodies) expect(body).not.toContain('PRIVATE KEY');
}

/** Every error body has exactly the contract's three fields. */
export function expectErrorBody(body: unknown, statusCode: number): void {
  expect(Object.keys(body as object).sort()).toEqual(['error', 'message', 'statusCode']);
  expect((body as { statusCode: number }).statusCode).toBe(statusCode);
}
