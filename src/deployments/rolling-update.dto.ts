import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Max,
  Min,
  ValidateBy,
  ValidationArguments,
} from 'class-validator';
import { IsHealthCheckPath } from '../common/validation/decorators';
import { LIMITS } from '../common/validation/limits';
import { DEFAULT_ROLLING_UPDATE as DEFAULTS, UPDATE_ORDERS, type UpdateOrder } from '../rollout/domain';

const finite = { allowNaN: false, allowInfinity: false } as const;

/** A percentage is at most 100; `batchSizeIsPercentage` defaults to true. */
const AtMost100WhenPercentage = () =>
  ValidateBy({
    name: 'atMost100WhenPercentage',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        (args?.object as RollingUpdateDto).batchSizeIsPercentage === false ||
        typeof value !== 'number' ||
        value <= LIMITS.batchSizePercentage.max,
      defaultMessage: () => 'batchSize must not be greater than 100 when batchSizeIsPercentage is true',
    },
  });

/** `@Min` and `@Max` from the contract's limits, also shown in the OpenAPI document. */
const Within = (limit: { min: number; max: number }) => applyDecorators(Min(limit.min), Max(limit.max));

/**
 * The body of `POST /api/deployments/:id/rolling-update`; every field is optional. Durations in seconds, with
 * the contract's limits (400 beyond).
 */
export class RollingUpdateDto {
  @ApiPropertyOptional({ default: DEFAULTS.batchSize, ...range(LIMITS.batchSize) })
  @IsOptional()
  @IsInt()
  @Within(LIMITS.batchSize)
  @AtMost100WhenPercentage()
  batchSize?: number;

  @ApiPropertyOptional({ default: DEFAULTS.batchSizeIsPercentage })
  @IsOptional()
  @IsBoolean()
  batchSizeIsPercentage?: boolean;

  @ApiPropertyOptional({ default: DEFAULTS.waitInterval, ...range(LIMITS.waitInterval) })
  @IsOptional()
  @IsNumber(finite)
  @Within(LIMITS.waitInterval)
  waitInterval?: number;

  @ApiPropertyOptional({ description: "Defaults to the application's healthCheckPath" })
  @IsOptional()
  @IsHealthCheckPath()
  healthCheckPath?: string;

  @ApiPropertyOptional({ default: DEFAULTS.healthCheckTimeout, ...range(LIMITS.healthCheckTimeout) })
  @IsOptional()
  @IsNumber(finite)
  @Within(LIMITS.healthCheckTimeout)
  healthCheckTimeout?: number;

  @ApiPropertyOptional({ default: DEFAULTS.healthCheckInterval, ...range(LIMITS.healthCheckInterval) })
  @IsOptional()
  @IsNumber(finite)
  @Within(LIMITS.healthCheckInterval)
  healthCheckInterval?: number;

  @ApiPropertyOptional({ default: DEFAULTS.maxHealthCheckRetries, ...range(LIMITS.maxHealthCheckRetries) })
  @IsOptional()
  @IsInt()
  @Within(LIMITS.maxHealthCheckRetries)
  maxHealthCheckRetries?: number;

  @ApiPropertyOptional({
    default: DEFAULTS.minimumHealthyInstances,
    ...range(LIMITS.minimumHealthyInstances),
  })
  @IsOptional()
  @IsInt()
  @Within(LIMITS.minimumHealthyInstances)
  minimumHealthyInstances?: number;

  @ApiPropertyOptional({ default: DEFAULTS.autoRollbackOnFailure })
  @IsOptional()
  @IsBoolean()
  autoRollbackOnFailure?: boolean;

  @ApiPropertyOptional({ default: DEFAULTS.failureThreshold, ...range(LIMITS.failureThreshold) })
  @IsOptional()
  @IsInt()
  @Within(LIMITS.failureThreshold)
  failureThreshold?: number;

  @ApiPropertyOptional({
    default: DEFAULTS.pauseAfterEachBatch,
    description: 'A manual gate: pause after every batch until POST /api/deployments/:id/resume',
  })
  @IsOptional()
  @IsBoolean()
  pauseAfterEachBatch?: boolean;

  @ApiPropertyOptional({
    default: DEFAULTS.successThreshold,
    ...range(LIMITS.successThreshold),
    description: 'Consecutive passing probes a new instance needs',
  })
  @IsOptional()
  @IsInt()
  @Within(LIMITS.successThreshold)
  successThreshold?: number;

  @ApiPropertyOptional({
    default: DEFAULTS.startPeriod,
    ...range(LIMITS.startPeriod),
    description: 'Seconds after a start during which failing probes do not count',
  })
  @IsOptional()
  @IsNumber(finite)
  @Within(LIMITS.startPeriod)
  startPeriod?: number;

  @ApiPropertyOptional({
    default: DEFAULTS.minReadySeconds,
    ...range(LIMITS.minReadySeconds),
    description: 'Seconds a new instance must keep passing before its batch completes (a bake time)',
  })
  @IsOptional()
  @IsNumber(finite)
  @Within(LIMITS.minReadySeconds)
  minReadySeconds?: number;

  @ApiPropertyOptional({
    ...range(LIMITS.progressDeadline),
    description:
      'Seconds without a completed batch after which the rollout fails (and, with autoRollbackOnFailure, rolls back); absent or 0: none',
  })
  @IsOptional()
  @IsNumber(finite)
  @Within(LIMITS.progressDeadline)
  progressDeadline?: number;

  @ApiPropertyOptional({
    enum: UPDATE_ORDERS,
    description:
      'stop-first: the server leaves rotation, then the old container stops and the new one starts. start-first: the new container starts beside the old one on the other port (hostPort / alternateHostPort), is probed, then replaces it in the load balancer; capacity never dips. Default: start-first for an application on one server, else stop-first',
  })
  @IsOptional()
  @IsIn(UPDATE_ORDERS, { message: `order must be one of: ${UPDATE_ORDERS.join(', ')}` })
  order?: UpdateOrder;
}

function range(limit: { min: number; max: number }) {
  return { minimum: limit.min, maximum: limit.max };
}
