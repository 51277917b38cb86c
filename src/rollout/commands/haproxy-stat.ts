/** One row of HAProxy's `show stat` CSV, keyed by the header's column names (pxname and svname always). */
export interface StatRow {
  pxname: string;
  svname: string;
  [column: string]: string;
}

/** Parses `show stat` output by its `# pxname,svname,…` header, so column order never matters. */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').map((line) => line.replace(/\r$/, ''));
  const headerIndex = lines.findIndex((line) => line.startsWith('# '));
  const columns = lines[headerIndex]?.slice(2).split(',') ?? [];
  if (!columns.includes('pxname') || !columns.includes('svname')) {
    throw new Error('no "# pxname,…" header in the show stat output');
  }
  return lines
    .slice(headerIndex + 1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const cells = line.split(',');
      // The header has both names, so the row's own cells replace these defaults.
      return {
        pxname: '',
        svname: '',
        ...Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? ''])),
      };
    });
}

/**
 * Current sessions of each named server of `backend`; throws when a server is missing or its `scur` is not a
 * number, because waiting on a server HAProxy does not report would silently skip the drain.
 */
export function currentSessions(
  rows: readonly StatRow[],
  backend: string,
  serverNames: readonly string[],
): Map<string, number> {
  const sessions = new Map<string, number>();
  for (const name of serverNames) {
    const row = rows.find((r) => r.pxname === backend && r.svname === name);
    if (row === undefined) throw new Error(`show stat lists no server ${backend}/${name}`);
    const scur = Number(row.scur);
    if (row.scur === '' || !Number.isInteger(scur))
      throw new Error(`show stat gives no scur for ${backend}/${name}`);
    sessions.set(name, scur);
  }
  return sessions;
}

/**
 * The `status` column (UP, DOWN, DRAIN, MAINT, MAINT (via …), no check, …) of each server of `backend`; a
 * server is left out when the output has no status column.
 */
export function serverStatuses(rows: readonly StatRow[], backend: string): Map<string, string> {
  const statuses = new Map<string, string>();
  for (const { pxname, svname, status } of rows) {
    if (pxname === backend && svname !== 'BACKEND' && status !== undefined) statuses.set(svname, status);
  }
  return statuses;
}
