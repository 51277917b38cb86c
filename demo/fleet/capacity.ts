import type { CommandOutput } from './docker-cli';

/** What every simulated server reports: room for a container on any machine the demo runs on. */
const MEM_AVAILABLE_KB = 2 * 1024 * 1024;
const DISK_AVAILABLE_KB = 20 * 1024 * 1024;

/**
 * Answers Rollout's capacity check (`sh -c '…/proc/meminfo…df -P -k…' sh PATH`) as a Linux server prints
 * it, with the simulated server's figures: macOS has no /proc/meminfo, and the demo runs there too. The
 * data path counts as present. Null for any other command.
 */
export function capacityAnswer(words: readonly string[]): CommandOutput | null {
  const [shell, flag, script, , path] = words;
  if (shell !== 'sh' || flag !== '-c' || path === undefined || words.length !== 5) return null;
  if (!script?.includes('/proc/meminfo') || !script.includes('df -P')) return null;
  return {
    exitCode: 0,
    stdout: [
      `path ${path}`,
      `MemAvailable:   ${MEM_AVAILABLE_KB} kB`,
      'Filesystem     1024-blocks     Used Available Capacity Mounted on',
      `demo           ${DISK_AVAILABLE_KB * 2} ${DISK_AVAILABLE_KB} ${DISK_AVAILABLE_KB}      50% /`,
      '',
    ].join('\n'),
    stderr: '',
  };
}
