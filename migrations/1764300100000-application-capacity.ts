import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per application: the alternate host port of a `start-first` swap, the stop grace period, and the free
 * memory and disk a server must have before a batch starts on it (measured where Docker keeps images).
 * Existing applications get the defaults; their alternate port is hostPort + 1 (hostPort - 1 for 65535).
 */
export class ApplicationCapacity1764300100000 implements MigrationInterface {
  name = 'ApplicationCapacity1764300100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE applications
        ADD COLUMN alternate_host_port int,
        ADD COLUMN stop_timeout int NOT NULL DEFAULT 10,
        ADD COLUMN min_free_memory_mb int NOT NULL DEFAULT 256,
        ADD COLUMN min_free_disk_mb int NOT NULL DEFAULT 1024,
        ADD COLUMN docker_data_path text NOT NULL DEFAULT '/var/lib/docker'`);
    await db.query(`
      UPDATE applications
        SET alternate_host_port = CASE WHEN host_port < 65535 THEN host_port + 1 ELSE host_port - 1 END`);
    await db.query(`
      ALTER TABLE applications
        ALTER COLUMN alternate_host_port SET NOT NULL,
        ADD CONSTRAINT applications_alternate_host_port_check
          CHECK (alternate_host_port BETWEEN 1 AND 65535 AND alternate_host_port <> host_port),
        ADD CONSTRAINT applications_stop_timeout_check CHECK (stop_timeout BETWEEN 0 AND 3600),
        ADD CONSTRAINT applications_min_free_check
          CHECK (min_free_memory_mb BETWEEN 0 AND 1000000000 AND min_free_disk_mb BETWEEN 0 AND 1000000000)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE applications
        DROP CONSTRAINT applications_min_free_check,
        DROP CONSTRAINT applications_stop_timeout_check,
        DROP CONSTRAINT applications_alternate_host_port_check,
        DROP COLUMN docker_data_path,
        DROP COLUMN min_free_disk_mb,
        DROP COLUMN min_free_memory_mb,
        DROP COLUMN stop_timeout,
        DROP COLUMN alternate_host_port`);
  }
}
