import { Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from '../errors';
import { MAX_INT4 } from '../validation/rules';

/** A route id: a positive integer that fits Postgres `int`. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : NaN;
    if (!(id <= MAX_INT4)) throw new ValidationFailedError(['id must be a positive integer']);
    return id;
  }
}
