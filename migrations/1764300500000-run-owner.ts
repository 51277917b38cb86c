import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which worker runs a rollout now (`run_owner`, cleared when it finishes or pauses), so one that finds it
 * set knows it takes over from another, and how often that happened (`resume_count`, `last_resumed_at`).
 */
export class RunOwner1764300500000 implements MigrationInterface {
  name = 'RunOwner1764300500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE deployments
        ADD COLUMN run_owner text NULL,
        ADD COLUMN resume_count integer NOT NULL DEFAULT 0,
        ADD COLUMN last_resumed_at timestamptz NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE deployments DROP COLUMN run_owner, DROP COLUMN resume_count, DROP COLUMN last_resumed_at`,
    );
  }
}
