import type { DeploymentStatus } from './types';

/** Words for every phase and status: colour is never the only sign. */
const PHASE_LABELS: Record<string, string> = {
  waiting: 'Waiting',
  not_started: 'Not started',
  draining: 'Draining',
  pulling: 'Pulling image',
  starting: 'Starting',
  health_checking: 'Health checking',
  healthy: 'Healthy',
  unhealthy: 'Unhealthy',
  rolling_back: 'Rolling back',
  rolled_back: 'Rolled back',
  in_rotation: 'In rotation',
  started: 'Started',
  finished: 'Finished',
  batch_cancelled: 'Batch cancelled',
  fleet_rollback: 'Fleet rollback',
};

const STATUS_LABELS: Record<DeploymentStatus, string> = {
  pending: 'Pending',
  queued: 'Queued',
  in_progress: 'In progress',
  paused: 'Paused',
  completed: 'Completed',
  completed_with_errors: 'Completed with errors',
  failed: 'Failed',
  rolled_back: 'Rolled back',
  rollback_failed: 'Rollback failed',
  cancelled: 'Cancelled',
};

const BATCH_LABELS: Record<string, string> = {
  pending: 'Waiting',
  in_progress: 'In progress',
  health_checking: 'Health checking',
  completed: 'Completed',
  failed: 'Failed',
  rolled_back: 'Rolled back',
};

export const FINAL_STATUSES: readonly DeploymentStatus[] = [
  'completed',
  'completed_with_errors',
  'failed',
  'rolled_back',
  'rollback_failed',
  'cancelled',
];

function words(value: string): string {
  const spaced = value.replace(/_/g, ' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

export const phaseLabel = (phase: string): string => PHASE_LABELS[phase] ?? words(phase);
export const statusLabel = (status: DeploymentStatus): string => STATUS_LABELS[status] ?? words(status);
export const batchLabel = (status: string): string => BATCH_LABELS[status] ?? words(status);

/** A status's tone: the colour family the badge uses. */
export function statusTone(status: string): 'good' | 'bad' | 'busy' | 'idle' | 'warn' {
  switch (status) {
    case 'completed':
    case 'healthy':
    case 'in_rotation':
      return 'good';
    case 'failed':
    case 'rollback_failed':
    case 'unhealthy':
      return 'bad';
    case 'completed_with_errors':
    case 'rolled_back':
    case 'rolling_back':
    case 'cancelled':
    case 'paused':
      return 'warn';
    case 'queued':
    case 'in_progress':
    case 'health_checking':
    case 'draining':
    case 'pulling':
    case 'starting':
      return 'busy';
    default:
      return 'idle';
  }
}

export function timeOf(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function dateTimeOf(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString([], {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function secondsText(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}
