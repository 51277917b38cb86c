import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Pause and resume: a pending request the worker honours before its next batch, and a gate after each batch. */
export class Pause1764300000000 implements MigrationInterface {
  name = 'Pause1764300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE deployments
        ADD COLUMN pause_requested_at timestamptz,
        ADD COLUMN pause_after_each_batch boolean NOT NULL DEFAULT false`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE deployments
        DROP COLUMN pause_after_each_batch,
        DROP COLUMN pause_requested_at`);
  }
}
