import { InitialSchema1764140000000 } from './1764140000000-initial-schema';

/** Every migration, oldest first. Listed by hand so that jest (from .ts) and node (from dist/) load the same set. */
export const MIGRATIONS = [InitialSchema1764140000000];
