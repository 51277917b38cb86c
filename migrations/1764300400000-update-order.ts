import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How a rolling update replaces a container on a server: `stop-first` (as before) or `start-first`. */
export class UpdateOrder1764300400000 implements MigrationInterface {
  name = 'UpdateOrder1764300400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE deployments
        ADD COLUMN update_order text NOT NULL DEFAULT 'stop-first'
        CONSTRAINT deployments_update_order_check CHECK (update_order IN ('stop-first', 'start-first'))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE deployments DROP COLUMN update_order`);
  }
}
