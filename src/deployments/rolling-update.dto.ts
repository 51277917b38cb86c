import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsNumber,
  IsOptional,
  Max,
  Min,
  ValidateBy,
  ValidationArguments,
} from 'class-validator';
import { IsHealthCheckPath } from '../common/validation/decorators';
import { MAX_INT4 } from '../common/validation/rules';
import { DEFAULT_ROLLING_UPDATE as DEFAULTS } from '../rollout/domain';

const finite = { allowNaN: false, allowInfinity: false } as const;
const MAX_SECONDS = 7 * 24 * 3600;

/** A percentage is at most 100; `batchSizeIsPercentage` defaults to true. */
const AtMost100WhenPercentage = () =>
  ValidateBy({
    name: 'atMost100WhenPercentage',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        (args?.object as RollingUpdateDto).batchSizeIsPercentage === false ||
        typeof value !== 'number' ||
        value <= 100,
      defaultMessage: () => 'batchSize must not be greater than 100 when batchSizeIsPercentage is true',
    },
  });

/** The body of `POST /api/deployments/:id/rolling-update`; every field is optional. Durations in seconds. */
export class RollingUpdateDto {
  @ApiPropertyOptional({ default: DEFAULTS.batchSize })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_INT4)
  @AtMost100WhenPercentage()
  batchSize?: number;

  @ApiPropertyOptional({ default: DEFAULTS.batchSizeIsPercentage })
  @IsOptional()
  @IsBoolean()
  batchSizeIsPercentage?: boolean;

  @ApiPropertyOptional({ default: DEFAULTS.waitInterval })
  @IsOptional()
  @IsNumber(finite)
  @Min(0)
  @Max(MAX_SECONDS)
  waitInterval?: number;

  @ApiPropertyOptional({ description: "Defaults to the application's healthCheckPath" })
  @IsOptional()
  @IsHealthCheckPath()
  healthCheckPath?: string;

  @ApiPropertyOptional({ default: DEFAULTS.healthCheckTimeout, exclusiveMinimum: true, minimum: 0 })
  @IsOptional()
  @IsNumber(finite)
  @ValidateBy({
    name: 'isGreaterThanZero',
    validator: {
      validate: (value: unknown) => typeof value === 'number' && value > 0,
      defaultMessage: () => 'healthCheckTimeout must be greater than 0',
    },
  })
  @Max(MAX_SECONDS)
  healthCheckTimeout?: number;

  @ApiPropertyOptional({ default: DEFAULTS.healthCheckInterval })
  @IsOptional()
  @IsNumber(finite)
  @Min(0)
  @Max(MAX_SECONDS)
  healthCheckInterval?: number;

  @ApiPropertyOptional({ default: DEFAULTS.maxHealthCheckRetries })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100000)
  maxHealthCheckRetries?: number;

  @ApiPropertyOptional({ default: DEFAULTS.minimumHealthyInstances })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_INT4)
  minimumHealthyInstances?: number;

  @ApiPropertyOptional({ default: DEFAULTS.autoRollbackOnFailure })
  @IsOptional()
  @IsBoolean()
  autoRollbackOnFailure?: boolean;

  @ApiPropertyOptional({ default: DEFAULTS.failureThreshold })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_INT4)
  failureThreshold?: number;
}
