import { isDockerDataPath } from '../../common/validation/rules';
import type { RemoteCommand } from '../ports';
import { InvalidCommandArgument } from './docker-commands';

/**
 * The capacity check of one server as one remote command: `MemAvailable` from `/proc/meminfo` and the free
 * space where Docker keeps images (`df -P -k` on the data path, or on `/` when that path does not exist).
 * The path travels as `$1` of a fixed script, so it is never part of the script's text. The first line
 * says which path was measured; `LC_ALL=C` keeps df's header untranslated.
 */
const SCRIPT = [
  'export LC_ALL=C',
  'p=$1',
  '[ -e "$p" ] || p=/',
  'echo "path $p"',
  'grep ^MemAvailable: /proc/meminfo || { echo no MemAvailable line in /proc/meminfo >&2; exit 1; }',
  'df -P -k "$p"',
].join('; ');

export function capacityCommand(dockerDataPath: string): RemoteCommand {
  if (!isDockerDataPath(dockerDataPath)) throw new InvalidCommandArgument('dockerDataPath', dockerDataPath);
  return { argv: ['sh', '-c', SCRIPT, 'sh', dockerDataPath] };
}

export interface ServerCapacity {
  /** `MemAvailable`, in whole MiB (rounded down). */
  memoryFreeMb: number;
  /** Space available to unprivileged users on `diskPath`, in whole MiB (rounded down). */
  diskFreeMb: number;
  /** The path measured: the data path, or `/` when it does not exist. */
  diskPath: string;
}

export type CapacityReading = { ok: true; capacity: ServerCapacity } | { ok: false; problem: string };

const KIB_PER_MIB = 1024;
const PATH_LINE = /^path (\/.*)$/;
const MEM_AVAILABLE = /^MemAvailable:\s*(\d+)\s*kB\s*$/;
const DF_HEADER = /^Filesystem\s+(\d+)-blocks\s+Used\s+Available\s+Capacity\s+Mounted on\s*$/;
/** A `df -P` row: the filesystem and the mount point may hold spaces, the four figures cannot. */
const DF_ROW = /\s(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+%|-)\s+\/.*$/;

/** Reads what `capacityCommand` printed; a problem names what was missing or malformed. */
export function parseCapacity(stdout: string): CapacityReading {
  const lines = stdout
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  const diskPath = lines.map((line) => PATH_LINE.exec(line)?.[1]).find((path) => path !== undefined);
  if (diskPath === undefined) return { ok: false, problem: 'no "path" line in the output' };

  const memKib = lines.map((line) => MEM_AVAILABLE.exec(line.trim())?.[1]).find((kib) => kib !== undefined);
  if (memKib === undefined) return { ok: false, problem: 'no "MemAvailable: N kB" line in the output' };

  const headerIndex = lines.findIndex((line) => DF_HEADER.test(line.trim()));
  const blockSize = Number(DF_HEADER.exec(lines[headerIndex]?.trim() ?? '')?.[1] ?? 0);
  if (blockSize === 0 || blockSize % 512 !== 0) {
    return {
      ok: false,
      problem: 'no "df -P" header (Filesystem N-blocks Used Available Capacity Mounted on)',
    };
  }
  const row = lines[headerIndex + 1];
  const available = DF_ROW.exec(row ?? '')?.[3];
  if (available === undefined)
    return { ok: false, problem: `no "df -P" row after its header: ${row ?? '(none)'}` };
  // BigInt: exact whatever the size of the figures.
  const diskBytes = BigInt(available) * BigInt(blockSize);
  return {
    ok: true,
    capacity: {
      memoryFreeMb: Number(BigInt(memKib) / BigInt(KIB_PER_MIB)),
      diskFreeMb: Number(diskBytes / BigInt(1024 * 1024)),
      diskPath,
    },
  };
}
