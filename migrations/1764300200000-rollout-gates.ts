import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Stricter gates of a rolling update, and when it was last resumed (the progress deadline's clock restarts). */
export class RolloutGates1764300200000 implements MigrationInterface {
  name = 'RolloutGates1764300200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE deployments
        ADD COLUMN success_threshold integer NOT NULL DEFAULT 1,
        ADD COLUMN start_period double precision NOT NULL DEFAULT 0,
        ADD COLUMN min_ready_seconds double precision NOT NULL DEFAULT 0,
        ADD COLUMN progress_deadline double precision,
        ADD COLUMN resumed_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE deployments
        DROP COLUMN resumed_at,
        DROP COLUMN progress_deadline,
        DROP COLUMN min_ready_seconds,
        DROP COLUMN start_period,
        DROP COLUMN success_threshold`);
  }
}
