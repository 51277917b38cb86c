import { NotFoundError } from '../../common/errors';

/** A row the rollout needs is gone (e.g. the deployment was deleted while the job waited). */
export class RecordNotFoundError extends NotFoundError {
  constructor(what: string, id: number) {
    super(`${what} ${id} does not exist`);
  }
}
