import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { traefikValidators } from '../support/traefik-schemas';
import { Fleet, startFleet } from '../fleet/fleet';
import { report, rollOut, createShop, phasesOf, servedTag } from './support/scenario';
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

  it('start-first: moves each instance to the other port in place, every write schema-valid and listing all 4', async () => {
    const watcher = watchFile(configPath);
    const update = await rollOut(stack, applicationId, 'v3', {
      order: 'start-first',
      batchSize: 2,
      batchSizeIsPercentage: false,
    });
    await new Promise((r) => setTimeout(r, 50));
    watcher.stop();
    report('traefik start-first file versions', {
      versions: watcher.versions.length,
      updateMs: update.durationMs,
    });

    expect(update.deployment).toMatchObject({ status: 'completed', order: 'start-first', previousTag: 'v2' });
    const validate = traefikValidators();
    const lists = watcher.versions.map((text) => {
      const doc = (parse(text) ?? {}) as TraefikDocument;
      for (const version of ['v2', 'v3'] as const) {
        expect({ version, valid: validate[version](doc), errors: validate[version].errors }).toMatchObject({
          valid: true,
        });
      }
      expect(Object.values(doc.http?.routers ?? {}).map((r) => r.rule)).toEqual(['Host(`shop.example.com`)']);
      return serversOf(doc);
    });
    const at = (port: number, hosts = fleet.hosts.slice(0, 4)) =>
      hosts.map((h) => `http://${h.address}:${port}`);
    const [h1, h2, h3, h4] = fleet.hosts;
    // the file as the update found it, then one write per batch: its 2 servers on 8081, nobody left out
    expect(lists).toEqual([[at(8080)], [[...at(8081, [h1!, h2!]), ...at(8080, [h3!, h4!])]], [at(8081)]]);
    for (const host of fleet.hosts.slice(0, 4)) {
      expect([host.name, await servedTag(host, 8081), await servedTag(host, 8080)]).toEqual([
        host.name,
        'v3',
        'ECONNREFUSED',
      ]);
    }
    for (const batch of update.batches) {
      for (const id of batch.serverIds) expect(phasesOf(update.events, id)).not.toContain('draining');
    }
  });
});
