import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema of the entities under src/. Constraint names follow PostgreSQL's own convention
 * (see src/database/naming-strategy.ts), which keeps TypeORM's schema diff against this empty.
 */
export class InitialSchema1764140000000 implements MigrationInterface {
  name = 'InitialSchema1764140000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE teams (
        id serial NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT teams_pkey PRIMARY KEY (id),
        CONSTRAINT teams_name_key UNIQUE (name)
      )`);

    await db.query(`
      CREATE TABLE api_tokens (
        id serial NOT NULL,
        team_id integer NOT NULL,
        token_hash character(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        CONSTRAINT api_tokens_pkey PRIMARY KEY (id),
        CONSTRAINT api_tokens_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE
      )`);
    await db.query(`CREATE UNIQUE INDEX api_tokens_token_hash_idx ON api_tokens (token_hash)`);

    await db.query(`
      CREATE TABLE servers (
        id serial NOT NULL,
        team_id integer NOT NULL,
        name text NOT NULL,
        host text NOT NULL,
        port integer NOT NULL DEFAULT 22,
        username text NOT NULL DEFAULT 'root',
        private_key_encrypted text NOT NULL,
        host_key_fingerprint text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT servers_pkey PRIMARY KEY (id),
        CONSTRAINT servers_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE
      )`);
    await db.query(`CREATE UNIQUE INDEX servers_team_id_name_idx ON servers (team_id, name)`);

    await db.query(`
      CREATE TABLE applications (
        id serial NOT NULL,
        team_id integer NOT NULL,
        name text NOT NULL,
        docker_image text NOT NULL,
        docker_tag text NOT NULL,
        container_port integer NOT NULL,
        host_port integer NOT NULL,
        env jsonb NOT NULL DEFAULT '{}'::jsonb,
        health_check_path text NOT NULL DEFAULT '/health',
        load_balancer jsonb NOT NULL,
        load_balancer_server_id integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT applications_pkey PRIMARY KEY (id),
        CONSTRAINT applications_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,
        CONSTRAINT applications_load_balancer_server_id_fkey FOREIGN KEY (load_balancer_server_id)
          REFERENCES servers (id) ON DELETE RESTRICT
      )`);
    await db.query(`CREATE UNIQUE INDEX applications_team_id_name_idx ON applications (team_id, name)`);

    await db.query(`
      CREATE TABLE application_servers (
        application_id integer NOT NULL,
        server_id integer NOT NULL,
        position integer NOT NULL,
        CONSTRAINT application_servers_pkey PRIMARY KEY (application_id, server_id),
        CONSTRAINT application_servers_application_id_fkey FOREIGN KEY (application_id)
          REFERENCES applications (id) ON DELETE CASCADE,
        CONSTRAINT application_servers_server_id_fkey FOREIGN KEY (server_id)
          REFERENCES servers (id) ON DELETE RESTRICT
      )`);

    await db.query(`
      CREATE TABLE application_instances (
        application_id integer NOT NULL,
        server_id integer NOT NULL,
        docker_image text,
        docker_tag text,
        status text NOT NULL DEFAULT 'absent',
        in_rotation boolean NOT NULL DEFAULT false,
        host_port integer NOT NULL,
        previous_docker_image text,
        previous_docker_tag text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT application_instances_pkey PRIMARY KEY (application_id, server_id),
        CONSTRAINT application_instances_status_check
          CHECK (status IN ('running', 'stopped', 'absent', 'unknown')),
        CONSTRAINT application_instances_application_id_fkey FOREIGN KEY (application_id)
          REFERENCES applications (id) ON DELETE CASCADE,
        CONSTRAINT application_instances_server_id_fkey FOREIGN KEY (server_id)
          REFERENCES servers (id) ON DELETE CASCADE
      )`);

    await db.query(`
      CREATE TABLE deployments (
        id serial NOT NULL,
        application_id integer NOT NULL,
        deployment_strategy text NOT NULL DEFAULT 'rolling',
        status text NOT NULL DEFAULT 'pending',
        docker_image text NOT NULL,
        docker_tag text NOT NULL,
        previous_docker_image text,
        previous_docker_tag text,
        rollback_of_deployment_id integer,
        batch_size integer NOT NULL DEFAULT 25,
        batch_size_is_percentage boolean NOT NULL DEFAULT true,
        wait_interval double precision NOT NULL DEFAULT 30,
        health_check_path text,
        health_check_timeout double precision NOT NULL DEFAULT 120,
        health_check_interval double precision NOT NULL DEFAULT 5,
        max_health_check_retries integer NOT NULL DEFAULT 10,
        minimum_healthy_instances integer NOT NULL DEFAULT 1,
        auto_rollback_on_failure boolean NOT NULL DEFAULT true,
        failure_threshold integer NOT NULL DEFAULT 2,
        total_batches integer NOT NULL DEFAULT 0,
        completed_batches integer NOT NULL DEFAULT 0,
        failed_batches integer NOT NULL DEFAULT 0,
        failure_reason text,
        cancel_requested_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT deployments_pkey PRIMARY KEY (id),
        CONSTRAINT deployments_status_check CHECK (status IN (
          'pending', 'queued', 'in_progress', 'paused', 'completed', 'completed_with_errors',
          'failed', 'rolled_back', 'rollback_failed', 'cancelled')),
        CONSTRAINT deployments_deployment_strategy_check
          CHECK (deployment_strategy IN ('simple', 'rolling', 'blue_green', 'canary')),
        CONSTRAINT deployments_application_id_fkey FOREIGN KEY (application_id)
          REFERENCES applications (id) ON DELETE CASCADE
      )`);
    await db.query(
      `CREATE INDEX idx_deployments_application_created ON deployments (application_id, created_at)`,
    );
    // The database, not the service, guarantees one active rollout per application.
    await db.query(`
      CREATE UNIQUE INDEX deployments_one_active_per_application ON deployments (application_id)
        WHERE status IN ('queued', 'in_progress', 'paused')`);

    await db.query(`
      CREATE TABLE deployment_batches (
        id serial NOT NULL,
        deployment_id integer NOT NULL,
        batch_number integer NOT NULL,
        total_batches integer NOT NULL,
        server_ids integer[] NOT NULL,
        target_instance_count integer NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        started_at timestamptz,
        completed_at timestamptz,
        successful_instances integer NOT NULL DEFAULT 0,
        failed_instances integer NOT NULL DEFAULT 0,
        health_check_results jsonb NOT NULL DEFAULT '{}'::jsonb,
        failure_reason text,
        CONSTRAINT deployment_batches_pkey PRIMARY KEY (id),
        CONSTRAINT deployment_batches_status_check CHECK (status IN (
          'pending', 'in_progress', 'health_checking', 'completed', 'failed', 'rolled_back')),
        CONSTRAINT deployment_batches_deployment_id_fkey FOREIGN KEY (deployment_id)
          REFERENCES deployments (id) ON DELETE CASCADE
      )`);
    await db.query(`
      CREATE UNIQUE INDEX idx_deployment_batches_deployment_number
        ON deployment_batches (deployment_id, batch_number)`);
    await db.query(`CREATE INDEX idx_deployment_batches_status ON deployment_batches (status)`);

    await db.query(`
      CREATE TABLE deployment_events (
        id serial NOT NULL,
        deployment_id integer NOT NULL,
        batch_number integer,
        server_id integer,
        type text NOT NULL,
        message text NOT NULL,
        data jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT deployment_events_pkey PRIMARY KEY (id),
        CONSTRAINT deployment_events_deployment_id_fkey FOREIGN KEY (deployment_id)
          REFERENCES deployments (id) ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX idx_deployment_events_deployment ON deployment_events (deployment_id, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'deployment_events',
      'deployment_batches',
      'deployments',
      'application_instances',
      'application_servers',
      'applications',
      'servers',
      'api_tokens',
      'teams',
    ]) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}
