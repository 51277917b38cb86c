import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Token scopes, names, expiry and revocation; the audit log of state-changing requests. */
export class TokenScopesAndAudit1764200000000 implements MigrationInterface {
  name = 'TokenScopesAndAudit1764200000000';

  async up(db: QueryRunner): Promise<void> {
    // Existing tokens keep working as admin.
    await db.query(`
      ALTER TABLE api_tokens
        ADD COLUMN name text,
        ADD COLUMN scope text NOT NULL DEFAULT 'admin',
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN revoked_at timestamptz,
        ADD CONSTRAINT api_tokens_scope_check CHECK (scope IN ('read', 'deploy', 'admin'))`);

    await db.query(`
      CREATE TABLE audit_log (
        id serial NOT NULL,
        team_id integer NOT NULL,
        token_id integer,
        at timestamptz NOT NULL DEFAULT now(),
        method text NOT NULL,
        route text NOT NULL,
        target_id integer,
        status_code integer NOT NULL,
        CONSTRAINT audit_log_pkey PRIMARY KEY (id),
        CONSTRAINT audit_log_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,
        CONSTRAINT audit_log_token_id_fkey FOREIGN KEY (token_id) REFERENCES api_tokens (id) ON DELETE SET NULL
      )`);
    await db.query(`CREATE INDEX audit_log_team_id_id_idx ON audit_log (team_id, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE audit_log`);
    await db.query(`
      ALTER TABLE api_tokens
        DROP CONSTRAINT api_tokens_scope_check,
        DROP COLUMN revoked_at,
        DROP COLUMN expires_at,
        DROP COLUMN scope,
        DROP COLUMN name`);
  }
}
