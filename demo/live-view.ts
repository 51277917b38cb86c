/**
 * The demo's live view: folds the socket.io events of one deployment into its progress and renders that
 * as text lines. Pure functions only (no terminal, no clock), so recorded event sequences can be replayed
 * in tests. The event shapes are the public contract's (CONTRACT.md, "Live progress"); fields the view
 * does not use are ignored, so newer servers keep working with this view.
 */

export interface DeploymentData {
  id: number;
  status: string;
  tag: string;
  previousTag?: string | null;
  totalBatches: number;
  completedBatches: number;
  failedBatches: number;
  failureReason: string | null;
}

export interface BatchData {
  deploymentId?: number;
  batchNumber: number;
  totalBatches: number;
  serverIds: number[];
  status: string;
  failureReason: string | null;
}

export interface InstanceData {
  /** The event's id in the deployment's timeline, when the server sends it. */
  id?: number;
  deploymentId: number;
  batchNumber: number;
  serverId: number;
  phase: string;
  message: string;
}

export type LiveEvent =
  | { name: 'deployment.updated' | 'deployment.finished'; data: DeploymentData }
  | { name: 'batch.updated'; data: BatchData }
  | { name: 'instance.updated'; data: InstanceData };

export interface ServerProgress {
  phase: string;
  batchNumber: number;
  /** Its previous container was put back (the new version failed on it, or the fleet was rolled back). */
  restored: boolean;
  lastEventId?: number;
}

export interface BatchProgress {
  batchNumber: number;
  totalBatches: number;
  serverIds: number[];
  status: string;
  failureReason: string | null;
}

export interface DeploymentProgress {
  deploymentId: number;
  status: string;
  tag: string | null;
  previousTag: string | null;
  totalBatches: number;
  completedBatches: number;
  failedBatches: number;
  failureReason: string | null;
  batches: ReadonlyMap<number, BatchProgress>;
  servers: ReadonlyMap<number, ServerProgress>;
}

export const FINAL_STATUSES: readonly string[] = [
  'completed',
  'completed_with_errors',
  'failed',
  'rolled_back',
  'rollback_failed',
  'cancelled',
];

export function isFinal(status: string): boolean {
  return FINAL_STATUSES.includes(status);
}

/** How far along a status is; an event carrying an earlier status than the one shown arrived late. */
function deploymentRank(status: string): number {
  if (isFinal(status)) return 3;
  if (status === 'in_progress' || status === 'paused') return 2;
  if (status === 'queued') return 1;
  return 0;
}

const BATCH_RANK: Readonly<Record<string, number>> = {
  pending: 0,
  in_progress: 1,
  health_checking: 2,
  completed: 3,
  failed: 3,
  rolled_back: 4,
};

function batchRank(status: string): number {
  return BATCH_RANK[status] ?? 0;
}

/** Steps of one server's update, for the progress bar; the last step is "done". */
const PHASE_STEP: Readonly<Record<string, number>> = {
  pulling: 1,
  draining: 2,
  starting: 3,
  health_checking: 4,
  healthy: 5,
  unhealthy: 5,
  rolling_back: 5,
  rolled_back: 6,
  in_rotation: 6,
};
const DONE_STEP = 6;

export function initialProgress(deploymentId: number): DeploymentProgress {
  return {
    deploymentId,
    status: 'pending',
    tag: null,
    previousTag: null,
    totalBatches: 0,
    completedBatches: 0,
    failedBatches: 0,
    failureReason: null,
    batches: new Map(),
    servers: new Map(),
  };
}

/**
 * The progress after one more event. Events of other deployments, duplicates and events older than what
 * is already shown (a late delivery) leave it unchanged: a final status is never replaced by a running
 * one, a batch never goes back to an earlier status, and a server's phase only moves to a later event.
 */
export function applyEvent(progress: DeploymentProgress, event: LiveEvent): DeploymentProgress {
  switch (event.name) {
    case 'deployment.updated':
    case 'deployment.finished':
      return applyDeployment(progress, event.data);
    case 'batch.updated':
      return applyBatch(progress, event.data);
    case 'instance.updated':
      return applyInstance(progress, event.data);
  }
}

function applyDeployment(progress: DeploymentProgress, data: DeploymentData): DeploymentProgress {
  if (data.id !== progress.deploymentId) return progress;
  const later = deploymentRank(data.status) >= deploymentRank(progress.status) && !isFinal(progress.status);
  return {
    ...progress,
    status: later ? data.status : progress.status,
    failureReason: later ? data.failureReason : progress.failureReason,
    tag: data.tag,
    previousTag: data.previousTag ?? progress.previousTag,
    totalBatches: Math.max(progress.totalBatches, data.totalBatches),
    completedBatches: Math.max(progress.completedBatches, data.completedBatches),
    failedBatches: Math.max(progress.failedBatches, data.failedBatches),
  };
}

function applyBatch(progress: DeploymentProgress, data: BatchData): DeploymentProgress {
  if (data.deploymentId !== undefined && data.deploymentId !== progress.deploymentId) return progress;
  const current = progress.batches.get(data.batchNumber);
  if (current && batchRank(data.status) < batchRank(current.status)) return progress;
  const batches = new Map(progress.batches);
  batches.set(data.batchNumber, {
    batchNumber: data.batchNumber,
    totalBatches: data.totalBatches,
    serverIds: [...data.serverIds],
    status: data.status,
    failureReason: data.failureReason,
  });
  return { ...progress, batches, totalBatches: Math.max(progress.totalBatches, data.totalBatches) };
}

function applyInstance(progress: DeploymentProgress, data: InstanceData): DeploymentProgress {
  if (data.deploymentId !== progress.deploymentId) return progress;
  // Deployment-level notes carry no server or batch; the view shows servers only.
  if (typeof data.serverId !== 'number' || typeof data.batchNumber !== 'number') return progress;
  const current = progress.servers.get(data.serverId);
  if (current?.lastEventId !== undefined && data.id !== undefined && data.id <= current.lastEventId) {
    return progress;
  }
  const servers = new Map(progress.servers);
  servers.set(data.serverId, {
    phase: data.phase,
    batchNumber: data.batchNumber,
    restored: (current?.restored ?? false) || data.phase === 'rolled_back',
    lastEventId: data.id ?? current?.lastEventId,
  });
  let batches = progress.batches;
  if (!batches.has(data.batchNumber) || !batches.get(data.batchNumber)?.serverIds.includes(data.serverId)) {
    // A server's events can come before its batch's first update: show the batch from what is known.
    const known = batches.get(data.batchNumber);
    const next = new Map(batches);
    next.set(data.batchNumber, {
      batchNumber: data.batchNumber,
      totalBatches: known?.totalBatches ?? progress.totalBatches,
      serverIds: [...(known?.serverIds ?? []), data.serverId],
      status: known?.status ?? 'in_progress',
      failureReason: known?.failureReason ?? null,
    });
    batches = next;
  }
  return { ...progress, servers, batches };
}

export interface RenderStyle {
  colour: boolean;
  /** Visible characters a line may take (a terminal's width); unlimited when absent. */
  width?: number;
}

export type ServerNames = ReadonlyMap<number, string>;

const ANSI = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

function paint(text: string, colour: keyof typeof ANSI, style: RenderStyle): string {
  return style.colour ? `\x1b[${ANSI[colour]}m${text}\x1b[0m` : text;
}

function statusColour(status: string): keyof typeof ANSI {
  if (status === 'completed' || status === 'healthy' || status === 'in_rotation') return 'green';
  if (['failed', 'unhealthy', 'rolled_back', 'rollback_failed', 'completed_with_errors'].includes(status)) {
    return 'red';
  }
  return 'yellow';
}

/** `[####------]`: `done` of `total` as a bar of `width` characters. */
export function progressBar(done: number, total: number, width = 10): string {
  const filled = total <= 0 ? 0 : Math.round((Math.min(Math.max(done, 0), total) / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function serverName(names: ServerNames, serverId: number): string {
  return names.get(serverId) ?? `server ${serverId}`;
}

/** The server's phase in this batch, or `waiting` while it has none yet. */
function phaseIn(progress: DeploymentProgress, batchNumber: number, serverId: number): ServerProgress | null {
  const server = progress.servers.get(serverId);
  return server && server.batchNumber === batchNumber ? server : null;
}

/** `web-1 web-2 web-3 web-5` → `web-1..3 web-5`: runs of three or more consecutive numbers share a range. */
export function compactNames(names: readonly string[]): string {
  const parts: string[] = [];
  let run: { prefix: string; first: number; last: number; names: string[] } | null = null;
  const flush = () => {
    if (run) parts.push(...(run.names.length >= 3 ? [`${run.prefix}${run.first}..${run.last}`] : run.names));
    run = null;
  };
  for (const name of names) {
    const [, prefix, digits] = /^(.*?)(\d+)$/.exec(name) ?? [];
    if (prefix === undefined || digits === undefined) {
      flush();
      parts.push(name);
      continue;
    }
    const number = Number(digits);
    if (run && run.prefix === prefix && run.last + 1 === number) {
      run.last = number;
      run.names.push(name);
    } else {
      flush();
      run = { prefix, first: number, last: number, names: [name] };
    }
  }
  flush();
  return parts.join(' ');
}

function phaseLabel(state: ServerProgress | null, idle: string): string {
  if (!state) return idle;
  return state.restored && state.phase !== 'rolled_back' ? `${state.phase} (restored)` : state.phase;
}

function paintPhase(label: string, style: RenderStyle): string {
  const phase = label.split(' ')[0] ?? label;
  return phase === 'waiting' || phase === 'untouched' ? label : paint(label, statusColour(phase), style);
}

/** Servers in the same phase together, in the order of their first server: `web-1 web-2 pulling`. */
function groupByPhase(
  servers: readonly { name: string; state: ServerProgress | null }[],
  idle: string,
): { label: string; servers: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const { name, state } of servers) {
    const label = phaseLabel(state, idle);
    groups.set(label, [...(groups.get(label) ?? []), name]);
  }
  return [...groups].map(([label, group]) => ({ label, servers: group }));
}

/**
 * One batch as a line: `batch 2/4 [######----] 1/2 servers  web-3 in_rotation, web-4 health_checking`
 * (servers in the same phase share it: `web-1 web-2 pulling`),
 * followed by the batch's status once it is final (`completed`, `failed`, `rolled_back`).
 */
export function renderBatchLine(
  progress: DeploymentProgress,
  batchNumber: number,
  names: ServerNames,
  style: RenderStyle,
): string {
  const batch = progress.batches.get(batchNumber);
  if (!batch) return '';
  const total = Math.max(batch.totalBatches, progress.totalBatches);
  const finished = batchRank(batch.status) >= 3;
  const servers = batch.serverIds.map((id) => ({ id, state: phaseIn(progress, batchNumber, id) }));
  const done = finished
    ? servers.length
    : servers.filter(({ state }) => (PHASE_STEP[state?.phase ?? ''] ?? 0) >= DONE_STEP).length;
  const steps = finished
    ? servers.length * DONE_STEP
    : servers.reduce((sum, { state }) => sum + (PHASE_STEP[state?.phase ?? ''] ?? 0), 0);
  // Once the deployment has ended, a server its rollout never reached was left as it was.
  const idle = isFinal(progress.status) ? 'untouched' : 'waiting';
  const phases = groupByPhase(
    servers.map(({ id, state }) => ({ name: serverName(names, id), state })),
    idle,
  )
    .map(({ label, servers: group }) => `${compactNames(group)} ${paintPhase(label, style)}`)
    .join(', ');
  const bar = progressBar(steps, servers.length * DONE_STEP);
  const status = finished ? `  ${paint(batch.status, statusColour(batch.status), style)}` : '';
  const line = `  batch ${batchNumber}/${total || '?'} ${bar} ${done}/${servers.length} servers  ${phases}${status}`;
  return style.width === undefined ? line : fitVisible(line, style.width);
}

/** A frame line with a key, so an append-only output can print only the lines that changed. */
export interface FrameLine {
  key: string;
  text: string;
}

/** The deployment's header, one line per batch seen so far, and its status. */
export function renderFrame(
  progress: DeploymentProgress,
  title: string,
  names: ServerNames,
  style: RenderStyle,
): FrameLine[] {
  const numbers = [...progress.batches.keys()].sort((a, b) => a - b);
  const status = `  status ${paint(progress.status, statusColour(progress.status), style)}  (${
    progress.completedBatches
  }/${progress.totalBatches || '?'} batches completed, ${progress.failedBatches} failed)`;
  return [
    { key: 'title', text: paint(title, 'bold', style) },
    ...numbers.map((n) => ({ key: `batch ${n}`, text: renderBatchLine(progress, n, names, style) })),
    { key: 'status', text: style.width === undefined ? status : fitVisible(status, style.width) },
  ];
}

/**
 * The deployment's final status, verbatim, with how long it took and its failure reason:
 * `deployment 3 (v2 → v3-broken): rolled_back in 2.4 s` and, for a failure, `  reason: …`.
 */
export function renderResult(progress: DeploymentProgress, elapsedMs: number, style: RenderStyle): string[] {
  const from = progress.previousTag === null ? '' : `${progress.previousTag} → `;
  const lines = [
    `deployment ${progress.deploymentId} (${from}${progress.tag ?? '?'}): ${paint(
      progress.status,
      statusColour(progress.status),
      style,
    )} in ${(elapsedMs / 1000).toFixed(1)} s`,
  ];
  if (progress.failureReason !== null) lines.push(`  reason: ${progress.failureReason}`);
  return lines;
}

const ESC = String.fromCharCode(27);
const COLOUR_CODE = `${ESC}\\[[0-9;]*m`;
const COLOUR_AT_START = new RegExp(`^${COLOUR_CODE}`);
const COLOUR_CODES = new RegExp(COLOUR_CODE, 'g');

export function stripColour(line: string): string {
  return line.replace(COLOUR_CODES, '');
}

/** Cuts a line to `width` visible characters (an ellipsis marks the cut); colour sequences do not count. */
export function fitVisible(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length && visible < width - 1; i++) {
    const escape = COLOUR_AT_START.exec(line.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length - 1;
    } else {
      out += line[i];
      visible++;
    }
  }
  return `${out}…${line.includes('\x1b[') ? '\x1b[0m' : ''}`;
}

export function visibleLength(line: string): number {
  return stripColour(line).length;
}
