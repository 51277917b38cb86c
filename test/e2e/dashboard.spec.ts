import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type DemoFleet, startDemoFleet } from '../../demo/fleet';
import { defined } from '../support/defined';
import { freePort } from '../support/net';
import { waitFor } from '../support/wait';
import {
  buttonsNotReachedByTab,
  horizontalOverflow,
  launchChromium,
  phasesSeen,
  recordRequests,
  watchTilePhases,
} from './support/browser';
import { demoServerBody, type EmbeddedService, startEmbeddedService } from './support/embedded-service';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const DOCS = join(ROOT, 'docs');
const FIRST_ADDRESS = '127.0.0.101';
/** Quick probes, so the fleet's answers decide within a second or two. */
const QUICK = { healthCheckInterval: 0.05, healthCheckTimeout: 10 };

/**
 * The dashboard in Debian's Chromium, against `npm start`'s one-process mode (embedded PostgreSQL,
 * in-process worker) and the demo fleet (real SSH, real engine): the page the API serves at `/`.
 */
describe('dashboard in a real browser', () => {
  /** The service's data folder (the embedded PostgreSQL's user must reach it: not inside another temp folder). */
  let dataDir: string;
  let fleetDir: string;
  let port: number;
  let base: string;
  let service: EmbeddedService | undefined;
  let fleet: DemoFleet | undefined;
  let browser: Browser | undefined;
  let token: string;
  let applicationId: number;
  const contexts: BrowserContext[] = [];
  const requested: string[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };

  /** A new tab of its own (own sessionStorage) whose every request is recorded. */
  const openPage = async (viewport: { width: number; height: number }): Promise<Page> => {
    const context = await defined(browser, 'the browser').newContext({ viewport });
    contexts.push(context);
    const urls = recordRequests(context);
    context.on('close', () => requested.push(...urls));
    return context.newPage();
  };

  const logIn = async (page: Page) => {
    await page.goto(`${base}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();
  };

  const statusOf = (page: Page) => page.locator('.rollout').getAttribute('data-status');
  const waitForStatus = (page: Page, status: string, timeout = 30_000) =>
    page.locator(`.rollout[data-status="${status}"]`).waitFor({ timeout });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rollout-dashboard-'));
    fleetDir = mkdtempSync(join(tmpdir(), 'rollout-dashboard-fleet-'));
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    [fleet, browser] = await Promise.all([
      startDemoFleet({ count: 4, dataDir: fleetDir, firstAddress: FIRST_ADDRESS }),
      launchChromium(),
    ]);
    service = startEmbeddedService({ dataDir, port, logLevel: 'warn' });
    token = await service.firstToken();
    await service.waitUntilHealthy();

    const serverIds: number[] = [];
    for (const server of defined(fleet, 'the fleet').servers) {
      const created = await api('POST', '/api/servers', demoServerBody(server));
      expect(created.status).toBe(201);
      serverIds.push(created.body.id as number);
    }
    const app = await api('POST', '/api/applications', {
      name: 'shop',
      image: 'registry.demo.test/shop',
      tag: 'v1',
      containerPort: 8080,
      hostPort: await freePort(FIRST_ADDRESS),
      healthCheckPath: '/health',
      serverIds,
      loadBalancer: { type: 'none' },
    });
    expect(app.status).toBe(201);
    applicationId = app.body.id as number;

    // v1 everywhere first (through the API), so the browser's rollouts replace a running version.
    const first = await api('POST', '/api/deployments', { applicationId, tag: 'v1' });
    const started = await api('POST', `/api/deployments/${first.body.id as number}/rolling-update`, {
      ...QUICK,
      batchSize: 100,
      minimumHealthyInstances: 0,
      waitInterval: 0,
    });
    expect(started.status).toBe(202);
    await waitFor(
      'v1 to be deployed',
      async () =>
        (await api('GET', `/api/deployments/${first.body.id as number}`)).body.status === 'completed' ||
        undefined,
      30_000,
    );
    mkdirSync(DOCS, { recursive: true });
  }, 150_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await service?.stop();
    await fleet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(fleetDir, { recursive: true, force: true });
  });

  it('logs in, previews the plan, rolls out v2 at 25 % with a pause and a resume, ends completed', async () => {
    const page = await openPage({ width: 1280, height: 900 });
    await logIn(page);

    // The token is in this tab's sessionStorage only: not in localStorage, not in a cookie.
    expect(await page.evaluate<string>('JSON.stringify(Object.assign({}, localStorage))')).not.toContain(
      token,
    );
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('rollout.token')`)).toBe(token);
    expect(await page.context().cookies()).toEqual([]);

    await page.getByRole('link', { name: 'shop' }).click();
    await page.getByRole('heading', { name: 'shop' }).waitFor();
    const rows = page.locator('table tbody tr[data-server-id]');
    await rows.nth(3).waitFor();
    expect(await rows.count()).toBe(4);
    for (const text of await rows.allInnerTexts()) {
      expect(text).toMatch(/web-\d[\s\S]*v1[\s\S]*running[\s\S]*In rotation/);
    }

    await page.getByLabel('Version (image tag)').fill('v2');
    await page.getByLabel('25 %').check();
    await page.getByText('Advanced options').click();
    await page.getByLabel('Wait between batches (s)').fill('1');
    await page.getByLabel('Health check interval (s)').fill(String(QUICK.healthCheckInterval));
    await page.getByLabel('Health check timeout (s)').fill(String(QUICK.healthCheckTimeout));
    const start = page.getByRole('button', { name: 'Start rolling update' });
    expect(await start.isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Preview plan' }).click();
    const planned = page.getByTestId('plan-batches').locator('li');
    await planned.first().waitFor();
    expect(await planned.allInnerTexts()).toEqual([
      'Batch 1 web-1',
      'Batch 2 web-2',
      'Batch 3 web-3',
      'Batch 4 web-4',
    ]);
    await start.waitFor({ state: 'visible' });
    await waitFor('the start button to be enabled', async () => (await start.isEnabled()) || undefined);

    // A changed option refreshes the preview; the start waits for it.
    await page.getByLabel('50 %').check();
    await waitFor('the 50 % plan', async () => ((await planned.count()) === 2 ? true : undefined));
    expect(await planned.allInnerTexts()).toEqual(['Batch 1 web-1, web-2', 'Batch 2 web-3, web-4']);
    await page.getByLabel('25 %').check();
    await waitFor('the 25 % plan again', async () => ((await planned.count()) === 4 ? true : undefined));
    await waitFor('the start button to be enabled again', async () => (await start.isEnabled()) || undefined);

    await watchTilePhases(page);
    await start.click();
    await page.waitForURL(/#\/deployments\/\d+$/);
    const deploymentId = Number(/(\d+)$/.exec(page.url())?.[1]);
    await page.locator('.tile[data-server-id]').first().waitFor();

    // Mid-rollout: the first batch is back in rotation, the second under way, the rest still to come.
    await page.locator('.batch[data-batch="1"] .tile[data-phase="in_rotation"]').waitFor({ timeout: 30_000 });
    await page
      .locator('.batch[data-batch="2"] .tile:not([data-phase="waiting"])')
      .waitFor({ timeout: 30_000 });
    expect(await statusOf(page)).toBe('in_progress');
    await page.screenshot({ path: join(DOCS, 'dashboard-rollout.png') });

    await page.getByRole('button', { name: 'Pause' }).click();
    await waitForStatus(page, 'paused');
    expect(await page.getByRole('button', { name: 'Resume' }).isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(true);
    const whilePaused = await page.locator('.batch[data-batch-status="completed"]').count();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await page.locator('.batch[data-batch-status="completed"]').count()).toBe(whilePaused);
    expect(await statusOf(page)).toBe('paused');

    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForStatus(page, 'completed', 40_000);
    expect((await api('GET', `/api/deployments/${deploymentId}`)).body.status).toBe('completed');

    // Every tile went through its phases to in rotation; the timeline holds them.
    const tiles = page.locator('.tile[data-server-id]');
    expect(await tiles.count()).toBe(4);
    expect(
      await page.evaluate<string[]>(
        `[...document.querySelectorAll('.tile[data-server-id]')].map((tile) => tile.getAttribute('data-phase'))`,
      ),
    ).toEqual(['in_rotation', 'in_rotation', 'in_rotation', 'in_rotation']);
    const seen = await phasesSeen(page);
    expect(Object.keys(seen)).toHaveLength(4);
    for (const phases of Object.values(seen)) {
      expect(phases[0]).toBe('waiting');
      expect(phases).toEqual(expect.arrayContaining(['pulling', 'health_checking', 'in_rotation']));
      expect(phases.at(-1)).toBe('in_rotation');
    }
    expect(await page.locator('.timeline li').count()).toBeGreaterThanOrEqual(4 * 4);

    // A tile's health-check result on click (and as its tooltip).
    const firstTile = tiles.first();
    expect(await firstTile.getAttribute('title')).toMatch(/Passed: HTTP 200/);
    await firstTile.click();
    expect(await page.getByTestId('tile-detail').innerText()).toMatch(
      /Health check: Passed: HTTP 200, \d+ attempts? in/,
    );
    expect(await page.getByRole('button', { name: 'Roll back to v1' }).isEnabled()).toBe(true);
    expect(await buttonsNotReachedByTab(page)).toEqual([]);

    // The application page now shows v2 on every server.
    await page.getByRole('link', { name: 'shop' }).click();
    await page.getByRole('heading', { name: 'Deployment history' }).waitFor();
    for (const text of await rows.allInnerTexts()) expect(text).toMatch(/v2[\s\S]*In rotation/);
    expect(await buttonsNotReachedByTab(page)).toEqual([]);
    await page.context().close();
  });

  it('shows a broken version failing its health checks and rolled back, with the reason in words', async () => {
    const page = await openPage({ width: 1280, height: 900 });
    await logIn(page);
    await page.goto(`${base}/#/applications/${applicationId}`);
    await page.getByLabel('Version (image tag)').fill('v3-broken');
    await page.getByLabel('One at a time').check();
    await page.getByText('Advanced options').click();
    expect(await page.getByLabel('Roll back automatically on failure').isChecked()).toBe(true);
    await page.getByLabel('Health check interval (s)').fill('0.1');
    await page.getByLabel('Health check timeout (s)').fill('2');
    await page.getByLabel('Health check retries').fill('5');
    await page.getByLabel('Failed batches before rollback').fill('1');
    await page.getByRole('button', { name: 'Preview plan' }).click();
    await page.getByTestId('plan-batches').locator('li').first().waitFor();
    const start = page.getByRole('button', { name: 'Start rolling update' });
    await waitFor('the start button to be enabled', async () => (await start.isEnabled()) || undefined);
    await start.click();
    await page.waitForURL(/#\/deployments\/\d+$/);

    await waitForStatus(page, 'rolled_back', 40_000);
    const reason = await page.getByTestId('failure-reason').innerText();
    expect(reason).toMatch(/web-1 \(127\.0\.0\.101\): health check failed: .*HTTP 500/);
    expect(await page.locator('.badge[data-status="rolled_back"]').innerText()).toBe('Rolled back');
    expect(await page.locator('.summary').innerText()).toContain('went back to v2');
    expect(await page.locator('.tile[data-phase="rolled_back"]').count()).toBeGreaterThanOrEqual(1);
    await page.locator('.tile[data-phase="rolled_back"]').first().click();
    expect(await page.getByTestId('tile-detail').innerText()).toMatch(/Health check: Failed: HTTP 500/);
    await page.screenshot({ path: join(DOCS, 'dashboard-rollback.png') });

    const instances = (await api('GET', `/api/applications/${applicationId}/instances`)).body as unknown as {
      tag: string;
    }[];
    expect(instances.map((instance) => instance.tag)).toEqual(['v2', 'v2', 'v2', 'v2']);
    await page.context().close();
  });

  // Last: it looks at the rolled-back deployment of the test before and checks every request of all three.
  it('fits a phone-width screen, sends a refused token back to the login, and stays on 127.0.0.1', async () => {
    const page = await openPage({ width: 375, height: 740 });
    // A stale token in the tab: the first API answer (401) sends the person back to the login.
    await page.goto(`${base}/`);
    await page.evaluate(`sessionStorage.setItem('rollout.token', 'rlt_${'x'.repeat(43)}')`);
    await page.reload();
    await page.getByText('refused the token').waitFor();
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('rollout.token')`)).toBeNull();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);

    await logIn(page);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.getByRole('link', { name: 'shop' }).click();
    await page.getByRole('heading', { name: 'Deployment history' }).waitFor();
    await page.getByText('Advanced options').click();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    const history = (await api('GET', `/api/deployments?applicationId=${applicationId}`)).body as unknown as {
      id: number;
    }[];
    await page.goto(`${base}/#/deployments/${defined(history[0], 'the newest deployment').id}`);
    await page.locator('.rollout[data-status="rolled_back"] .tile').first().waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.context().close();

    // Nothing the browser asked for, in any test, went anywhere but this API.
    for (const context of contexts) await context.close().catch(() => undefined);
    expect(requested.length).toBeGreaterThan(10);
    const elsewhere = requested.filter(
      (url) =>
        !url.startsWith(`${base}/`) && !url.startsWith(`ws://127.0.0.1:${port}/`) && !url.startsWith('data:'),
    );
    expect(elsewhere).toEqual([]);
    expect(readFileSync(join(DOCS, 'dashboard-rollout.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});
