import type { UpdateOrder } from '../domain';
import { insufficientCapacityReason } from './reasons';

/**
 * Whether a server has room for one more container before a batch touches it. Pure.
 *
 * Worked example: web-3 reports 120 MB of MemAvailable and 5000 MB free on /var/lib/docker; the
 * application asks for 256 MB of memory and 1024 MB of disk →
 *   `Server web-3 has insufficient capacity: 120 MB memory free, 256 MB required (checked for stop-first)`.
 * The thresholds mean free room for one more container, so they are the same whichever order the swap
 * takes; the reason says which order it checked for.
 */

export interface CapacityFigures {
  memoryFreeMb: number;
  diskFreeMb: number;
  /** The path whose free space was measured. */
  diskPath: string;
}

export interface CapacityRequirement {
  minFreeMemoryMb: number;
  minFreeDiskMb: number;
}

/** The reason a server fails its batch for lack of room, or null when it has enough. */
export function capacityShortage(input: {
  serverName: string;
  figures: CapacityFigures;
  required: CapacityRequirement;
  order: UpdateOrder;
}): string | null {
  const { serverName, figures, required, order } = input;
  const memoryShort = figures.memoryFreeMb < required.minFreeMemoryMb;
  const diskShort = figures.diskFreeMb < required.minFreeDiskMb;
  if (!memoryShort && !diskShort) return null;
  return insufficientCapacityReason(serverName, order, {
    ...(memoryShort && { memory: { freeMb: figures.memoryFreeMb, requiredMb: required.minFreeMemoryMb } }),
    ...(diskShort && {
      disk: { freeMb: figures.diskFreeMb, requiredMb: required.minFreeDiskMb, path: figures.diskPath },
    }),
  });
}
