import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';

/** Traefik's published JSON schemas for file-provider configuration, copied into the repository. */
export const SCHEMA_DIR = join(__dirname, 'schemas');

export type TraefikVersion = 'v2' | 'v3';

export function loadTraefikSchema(version: TraefikVersion): Record<string, unknown> {
  const text = readFileSync(join(SCHEMA_DIR, `traefik-${version}-file-provider.json`), 'utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * v3's schema declares draft-07 (Ajv's default). v2's declares draft-04, which Ajv 8 does not ship; it uses
 * none of the keywords whose meaning changed after draft-04, so it compiles as draft-07 once `$schema` is
 * dropped (the load balancer spec checks that premise).
 */
export function traefikValidators(): Record<TraefikVersion, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const v2 = loadTraefikSchema('v2');
  delete v2.$schema;
  return { v2: ajv.compile(v2), v3: ajv.compile(loadTraefikSchema('v3')) };
}
