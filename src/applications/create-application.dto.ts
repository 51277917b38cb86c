import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
  ValidationArguments,
} from 'class-validator';
import {
  IsDockerDataPath,
  IsDockerImageName,
  IsDockerTag,
  IsEnvMap,
  IsHealthCheckPath,
  IsId,
  IsPort,
} from '../common/validation/decorators';
import { LIMITS } from '../common/validation/limits';
import { APPLICATION_NAME, envMapProblem } from '../common/validation/rules';
import { APPLICATION_DEFAULTS } from './application-defaults';
import {
  HaproxyLoadBalancerDto,
  LoadBalancerDto,
  NginxLoadBalancerDto,
  NoLoadBalancerDto,
  toLoadBalancerDto,
  TraefikLoadBalancerDto,
} from './load-balancer.dto';

export const DEFAULT_HEALTH_CHECK_PATH = '/health';

/** Docker reads an env file line by line into a 64 KiB buffer: `KEY=value` must fit in it. */
const MAX_ENV_FILE_LINE_BYTES = 65535;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a secret env map is refused (null when fine): the rules of `env`, plus what an env file line needs
 * to carry a value byte-exact. Messages name variables, never values.
 */
export function secretEnvProblem(value: unknown, env?: unknown): string | null {
  const problem = envMapProblem(value);
  if (problem !== null) return problem;
  for (const [key, entry] of Object.entries(value as Record<string, string>)) {
    if (/[\r\n]/.test(entry)) return `value of ${key} must not contain a line break (CR or LF)`;
    if (LONE_SURROGATE.test(entry)) return `value of ${key} must be valid Unicode (no lone surrogate)`;
    if (Buffer.byteLength(`${key}=${entry}`, 'utf8') > MAX_ENV_FILE_LINE_BYTES) {
      return `value of ${key} is too long: ${key}=value must fit in ${MAX_ENV_FILE_LINE_BYTES} bytes of UTF-8`;
    }
    if (typeof env === 'object' && env !== null && Object.prototype.hasOwnProperty.call(env, key)) {
      return `has ${key}, which is also in env: a variable is either in env or in secretEnv`;
    }
  }
  return null;
}

const IsSecretEnvMap = () =>
  ValidateBy({
    name: 'isSecretEnvMap',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        secretEnvProblem(value, (args?.object as { env?: unknown } | undefined)?.env) === null,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property ?? 'secretEnv'} ${
          secretEnvProblem(args?.value, (args?.object as { env?: unknown } | undefined)?.env) ?? 'is invalid'
        }`,
    },
  });

/** A port other than the application's `hostPort` (both are published on the same server). */
const DiffersFromHostPort = () =>
  ValidateBy({
    name: 'differsFromHostPort',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        value !== (args?.object as { hostPort?: unknown } | undefined)?.hostPort,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property ?? 'alternateHostPort'} must differ from hostPort`,
    },
  });

/** A whole number within one of LIMITS' ranges, its bounds also in the OpenAPI schema. */
const WholeNumberWithin = (limit: { min: number; max: number }) =>
  applyDecorators(IsInt(), Min(limit.min), Max(limit.max));

export class CreateApplicationDto {
  @ApiProperty({ example: 'shop', description: 'Also the container name' })
  @IsString()
  @Matches(APPLICATION_NAME, {
    message: 'name must be 2-63 characters of a-z, 0-9, "_", "." and "-", starting with a letter or digit',
  })
  name: string;

  @ApiProperty({ example: 'ghcr.io/acme/shop' })
  @IsDockerImageName()
  image: string;

  @ApiProperty({ example: 'v1' })
  @IsDockerTag()
  tag: string;

  @ApiProperty({ example: 3000 })
  @IsPort()
  containerPort: number;

  @ApiProperty({ example: 8080 })
  @IsPort()
  hostPort: number;

  @ApiPropertyOptional({
    example: 8081,
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    description:
      'The port a start-first swap starts the new container on beside the old one; it must differ from ' +
      'hostPort. Default: hostPort + 1 (hostPort - 1 for 65535).',
  })
  @IsOptional()
  @IsPort()
  @DiffersFromHostPort()
  alternateHostPort?: number;

  @ApiPropertyOptional({
    default: APPLICATION_DEFAULTS.stopTimeout,
    minimum: LIMITS.stopTimeout.min,
    maximum: LIMITS.stopTimeout.max,
    type: 'integer',
    description: 'Whole seconds the old container gets to stop (docker stop -t) before it is killed',
  })
  @IsOptional()
  @WholeNumberWithin(LIMITS.stopTimeout)
  stopTimeout?: number;

  @ApiPropertyOptional({
    default: APPLICATION_DEFAULTS.minFreeMemoryMb,
    minimum: LIMITS.minFreeMemoryMb.min,
    maximum: LIMITS.minFreeMemoryMb.max,
    type: 'integer',
    description: 'MemAvailable (MB) every server of a batch must have before the batch starts',
  })
  @IsOptional()
  @WholeNumberWithin(LIMITS.minFreeMemoryMb)
  minFreeMemoryMb?: number;

  @ApiPropertyOptional({
    default: APPLICATION_DEFAULTS.minFreeDiskMb,
    minimum: LIMITS.minFreeDiskMb.min,
    maximum: LIMITS.minFreeDiskMb.max,
    type: 'integer',
    description:
      'Free disk (MB) on dockerDataPath (or / when it does not exist) every server of a batch must have',
  })
  @IsOptional()
  @WholeNumberWithin(LIMITS.minFreeDiskMb)
  minFreeDiskMb?: number;

  @ApiPropertyOptional({
    default: APPLICATION_DEFAULTS.dockerDataPath,
    description: 'Where Docker keeps images on the servers (the disk the capacity check measures)',
  })
  @IsOptional()
  @IsDockerDataPath()
  dockerDataPath?: string;

  @ApiPropertyOptional({
    example: { NODE_ENV: 'production' },
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsEnvMap()
  // The parsed JSON object itself: class-transformer's copy drops names such as `constructor` or `toString`.
  @Transform(({ obj }) => (obj as { env?: unknown }).env)
  env?: Record<string, string>;

  @ApiPropertyOptional({
    example: { DATABASE_URL: 'postgres://shop:…@db/shop' },
    type: 'object',
    additionalProperties: { type: 'string' },
    writeOnly: true,
    description:
      'Like env, but stored encrypted and never returned (answers list its names in secretEnvKeys). ' +
      'Values reach the container through an env file written over SSH, never on a command line: ' +
      'no CR, LF or NUL; a name may not also be in env.',
  })
  @IsOptional()
  @IsSecretEnvMap()
  @Transform(({ obj }) => (obj as { secretEnv?: unknown }).secretEnv)
  secretEnv?: Record<string, string>;

  @ApiPropertyOptional({ default: DEFAULT_HEALTH_CHECK_PATH })
  @IsOptional()
  @IsHealthCheckPath()
  healthCheckPath?: string;

  @ApiProperty({ example: [1, 2, 3, 4], type: [Number] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(1000)
  @ArrayUnique({ message: 'serverIds must not contain duplicates' })
  @IsId({ each: true })
  serverIds: number[];

  @ApiPropertyOptional({
    oneOf: [TraefikLoadBalancerDto, NginxLoadBalancerDto, HaproxyLoadBalancerDto, NoLoadBalancerDto].map(
      (dto) => ({
        $ref: getSchemaPath(dto),
      }),
    ),
    description: 'Defaults to { "type": "none" }',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Transform(({ obj }) => toLoadBalancerDto((obj as { loadBalancer?: unknown }).loadBalancer))
  loadBalancer?: LoadBalancerDto;
}
