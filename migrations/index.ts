import { InitialSchema1764140000000 } from './1764140000000-initial-schema';
import { TokenScopesAndAudit1764200000000 } from './1764200000000-token-scopes-and-audit';
import { SecretEnv1764200100000 } from './1764200100000-secret-env';
import { Pause1764300000000 } from './1764300000000-pause';
import { ApplicationCapacity1764300100000 } from './1764300100000-application-capacity';
import { RolloutGates1764300200000 } from './1764300200000-rollout-gates';
import { BatchOutcomes1764300300000 } from './1764300300000-batch-outcomes';
import { UpdateOrder1764300400000 } from './1764300400000-update-order';
import { RunOwner1764300500000 } from './1764300500000-run-owner';

/** Every migration, oldest first. Listed by hand so that jest (from .ts) and node (from dist/) load the same set. */
export const MIGRATIONS = [
  InitialSchema1764140000000,
  TokenScopesAndAudit1764200000000,
  SecretEnv1764200100000,
  Pause1764300000000,
  ApplicationCapacity1764300100000,
  RolloutGates1764300200000,
  BatchOutcomes1764300300000,
  UpdateOrder1764300400000,
  RunOwner1764300500000,
];
