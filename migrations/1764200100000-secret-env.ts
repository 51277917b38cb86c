import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Secret application env: one sealed JSON object per application, and its (public) variable names. */
export class SecretEnv1764200100000 implements MigrationInterface {
  name = 'SecretEnv1764200100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE applications
        ADD COLUMN secret_env_encrypted text,
        ADD COLUMN secret_env_keys jsonb NOT NULL DEFAULT '[]'::jsonb,
        ADD CONSTRAINT applications_secret_env_check
          CHECK ((secret_env_encrypted IS NULL) = (secret_env_keys = '[]'::jsonb))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE applications
        DROP CONSTRAINT applications_secret_env_check,
        DROP COLUMN secret_env_keys,
        DROP COLUMN secret_env_encrypted`);
  }
}
