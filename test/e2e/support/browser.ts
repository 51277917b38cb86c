import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

/** Debian's Chromium (scripts/ensure-test-deps.sh installs it); no browser is ever downloaded. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, and nothing of its own on the network: no QUIC, no updates, no sync, no background fetches. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium with a fresh profile (Playwright gives every launch its own user-data-dir and removes it). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: run scripts/ensure-test-deps.sh as root (apt-get install chromium)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Every URL a context asks for, pages' requests and WebSockets alike. */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (request) => urls.push(request.url()));
  context.on('page', (page) => page.on('websocket', (socket) => urls.push(socket.url())));
  return urls;
}

/** How far the page scrolls sideways (0 when nothing is wider than the viewport). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>(
    'Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - document.documentElement.clientWidth',
  );
}

/**
 * Presses Tab from the top of the page until focus comes back round and says which of the page's visible,
 * enabled buttons never received focus (by their text): an empty list means every one is reachable.
 */
export async function buttonsNotReachedByTab(page: Page, maxPresses = 120): Promise<string[]> {
  const count = await page.evaluate<number>(`(() => {
    const buttons = [...document.querySelectorAll('button')].filter(
      (button) => !button.disabled && button.getClientRects().length > 0,
    );
    buttons.forEach((button, index) => button.setAttribute('data-tab-check', String(index)));
    document.activeElement?.blur();
    window.scrollTo(0, 0);
    return buttons.length;
  })()`);
  const reached = new Set<string>();
  for (let press = 0; press < maxPresses && reached.size < count; press++) {
    await page.keyboard.press('Tab');
    const mark = await page.evaluate<string | null>(
      `document.activeElement?.getAttribute('data-tab-check') ?? null`,
    );
    if (mark !== null) reached.add(mark);
  }
  return page.evaluate<string[]>(`(() => {
    const reached = new Set(${JSON.stringify([...reached])});
    const missed = [...document.querySelectorAll('[data-tab-check]')]
      .filter((button) => !reached.has(button.getAttribute('data-tab-check')))
      .map((button) => button.textContent.trim());
    document.querySelectorAll('[data-tab-check]').forEach((button) => button.removeAttribute('data-tab-check'));
    return missed;
  })()`);
}

/**
 * Records, in the page, every phase each server tile shows (`data-phase` of `[data-server-id]` tiles), so
 * a test sees transitions however quickly they pass. Read with `phasesSeen`.
 */
export async function watchTilePhases(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const seen = (window.__tilePhases = {});
    const note = (element) => {
      const server = element.getAttribute('data-server-id');
      const phase = element.getAttribute('data-phase');
      if (server === null || phase === null || !element.classList.contains('tile')) return;
      const list = (seen[server] ??= []);
      if (list.at(-1) !== phase) list.push(phase);
    };
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        if (mutation.type === 'attributes') note(mutation.target);
        for (const node of mutation.addedNodes) {
          if (node.nodeType !== 1) continue;
          note(node);
          node.querySelectorAll('[data-phase]').forEach(note);
        }
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-phase'] });
  })()`);
}

/** The phases each server's tile showed since `watchTilePhases`, in order, by server id. */
export function phasesSeen(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate<Record<string, string[]>>('window.__tilePhases ?? {}');
}
