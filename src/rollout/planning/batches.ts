/**
 * Batch arithmetic. Pure: no I/O, no framework.
 *
 * Worked example: 10 servers at 25 %  → ceil(10 × 25 / 100) = ceil(2.5) = 3 per batch
 *                 → batches of 3, 3, 3, 1 (the last one takes what is left).
 *                 10 servers at an absolute 2 → five batches of 2.
 *                 3 servers at 1 % → ceil(0.03) = 1 per batch → three batches of 1.
 */
export function serversPerBatch(serverCount: number, batchSize: number, isPercentage: boolean): number {
  if (serverCount <= 0) return 0;
  const raw = isPercentage ? Math.ceil((serverCount * batchSize) / 100) : Math.floor(batchSize);
  return Math.min(serverCount, Math.max(1, raw));
}

/** Splits the servers, in their given order, into consecutive batches. */
export function planBatches<T>(servers: readonly T[], batchSize: number, isPercentage: boolean): T[][] {
  const size = serversPerBatch(servers.length, batchSize, isPercentage);
  const batches: T[][] = [];
  for (let start = 0; start < servers.length; start += size) {
    batches.push(servers.slice(start, start + size));
  }
  return batches;
}
