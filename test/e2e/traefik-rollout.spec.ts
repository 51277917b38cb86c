import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { traefikValidators } from '../support/traefik-schemas';
import { Fleet, startFleet } from '../fleet/fleet';
import { report, rollOut, createShop } from './support/scenario';
import { Stack, startStack } from './support/stack';

jest.setTimeout(300_000);

interface TraefikDocument {
  http?: {
    routers?: Record<string, { rule: string; service: string }>;
    services?: Record<string, { loadBalancer: { servers: { url: string }[] } }>;
  };
}

/** Every distinct content the file had, read every 10 ms (writes are atomic renames, seconds apart). */
function watchFile(path: string) {
  const versions: string[] = [];
  let last: string | null = null;
  const timer = setInterval(() => {
    void readFile(path, 'utf8').then(
      (text) => {
        if (text !== last) versions.push(text);
        last = text;
      },
      () => undefined,
    );
  }, 10);
  return { versions, stop: () => clearInterval(timer) };
}

const serversOf = (doc: TraefikDocument) =>
  Object.values(doc.http?.services ?? {}).map((s) => s.loadBalancer.servers.map((x) => x.url));

describe('rolling updates with Traefik file-provider configuration', () => {
  let stack: Stack;
  let fleet: Fleet;
  let dir: string;
  let configPath: string;
  let applicationId: number;

  beforeAll(async () => {
    [stack, fleet] = await Promise.all([startStack(), startFleet({ count: 5, addressPrefix: '127.0.32.' })]);
    dir = await mkdtemp(join(tmpdir(), 'rollout-e2e-traefik-'));
    configPath = join(dir, 'dynamic', 'shop.yaml');
    ({ applicationId } = await createShop(stack, fleet, fleet.hosts.slice(0, 4), fleet.host(4), {
      type: 'traefik',
      configPath,
      domain: 'shop.example.com',
      drainSeconds: 0.2,
    }));
  });

  afterAll(async () => {
    await fleet?.stop();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes only schema-valid files that never list zero servers, through a first deployment and an update', async () => {
    const watcher = watchFile(configPath);
    const first = await rollOut(stack, applicationId, 'v1', { batchSize: 50, minimumHealthyInstances: 0 });
    const update = await rollOut(stack, applicationId, 'v2', { batchSize: 2, batchSizeIsPercentage: false });
    await new Promise((r) => setTimeout(r, 50));
    watcher.stop();
    report('traefik file versions', {
      versions: watcher.versions.length,
      firstMs: first.durationMs,
      updateMs: update.durationMs,
    });

    expect(first.deployment.status).toBe('completed');
    expect(update.deployment.status).toBe('completed');
    const validate = traefikValidators();
    const lists = watcher.versions.map((text) => {
      const doc = parse(text) as TraefikDocument;
      for (const version of ['v2', 'v3'] as const) {
        expect({
          version,
          valid: validate[version](doc ?? {}),
          errors: validate[version].errors,
        }).toMatchObject({
          valid: true,
        });
      }
      const lists = serversOf(doc ?? {});
      for (const servers of lists) expect(servers.length).toBeGreaterThan(0);
      return lists.flat().length;
    });
    const hosts = fleet.hosts.slice(0, 4).map((h) => `http://${h.address}:8080`);
    // first deployment: 2 then 4 servers; update: 2 out, 4 back, 2 out, 4 back
    expect(lists).toEqual([2, 4, 2, 4, 2, 4]);
    const final = parse(watcher.versions.at(-1)!) as TraefikDocument;
    expect(serversOf(final)).toEqual([hosts]);
    expect(Object.values(final.http?.routers ?? {})[0]?.rule).toBe('Host(`shop.example.com`)');
  });
});
