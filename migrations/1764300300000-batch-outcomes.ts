import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each server's outcome in a batch, and when a batch was created and last changed. */
export class BatchOutcomes1764300300000 implements MigrationInterface {
  name = 'BatchOutcomes1764300300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE deployment_batches
        ADD COLUMN server_outcomes jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE deployment_batches
        DROP COLUMN updated_at,
        DROP COLUMN created_at,
        DROP COLUMN server_outcomes`);
  }
}
