import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
} from 'class-validator';
import {
  IsDockerImageName,
  IsDockerTag,
  IsEnvMap,
  IsHealthCheckPath,
  IsId,
  IsPort,
} from '../common/validation/decorators';
import {
  HaproxyLoadBalancerDto,
  LoadBalancerDto,
  NginxLoadBalancerDto,
  NoLoadBalancerDto,
  toLoadBalancerDto,
  TraefikLoadBalancerDto,
} from './load-balancer.dto';

export const DEFAULT_HEALTH_CHECK_PATH = '/health';

export class CreateApplicationDto {
  @ApiProperty({ example: 'shop', description: 'Also the container name' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_.-]{0,62}$/, {
    message: 'name must be 1-63 characters of a-z, 0-9, "_", "." and "-", starting with a letter or digit',
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
    example: { NODE_ENV: 'production' },
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsEnvMap()
  env?: Record<string, string>;

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
