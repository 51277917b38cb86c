import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { Equals, IsIn, IsNumber, IsOptional, Max, Min } from 'class-validator';
import {
  IsHaproxyName,
  IsHaproxySocketPath,
  IsHostname,
  IsId,
  IsOneLineCommand,
  IsPort,
  IsRemoteFilePath,
} from '../common/validation/decorators';
import { LIMITS } from '../common/validation/limits';
import type { LoadBalancerConfig, LoadBalancerType } from '../rollout/domain';

export const LOAD_BALANCER_TYPES: readonly LoadBalancerType[] = ['traefik', 'nginx', 'haproxy', 'none'];

export const LOAD_BALANCER_DEFAULTS = {
  drainSeconds: 5,
  reloadCommand: 'nginx -s reload',
  testCommand: 'nginx -t',
  socketPath: '/run/haproxy/admin.sock',
} as const;

export class NoLoadBalancerDto {
  @ApiProperty({ enum: ['none'] })
  @Equals('none')
  type: 'none';
}

abstract class RemoteLoadBalancerDto {
  @ApiProperty({ description: 'The server the load balancer runs on' })
  @IsId()
  serverId: number;

  @ApiPropertyOptional({
    default: LOAD_BALANCER_DEFAULTS.drainSeconds,
    minimum: LIMITS.drainSeconds.min,
    maximum: LIMITS.drainSeconds.max,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(LIMITS.drainSeconds.min)
  @Max(LIMITS.drainSeconds.max)
  drainSeconds?: number;
}

export class TraefikLoadBalancerDto extends RemoteLoadBalancerDto {
  @ApiProperty({ enum: ['traefik'] })
  @Equals('traefik')
  type: 'traefik';

  @ApiProperty({ example: '/data/coolify/proxy/dynamic/shop.yaml' })
  @IsRemoteFilePath()
  configPath: string;

  @ApiProperty({ example: 'shop.example.com' })
  @IsHostname()
  domain: string;
}

export class NginxLoadBalancerDto extends RemoteLoadBalancerDto {
  @ApiProperty({ enum: ['nginx'] })
  @Equals('nginx')
  type: 'nginx';

  @ApiProperty({ example: '/etc/nginx/conf.d/shop.conf' })
  @IsRemoteFilePath()
  configPath: string;

  @ApiProperty({ example: 80 })
  @IsPort()
  listenPort: number;

  @ApiPropertyOptional({ example: 'shop.example.com' })
  @IsOptional()
  @IsHostname()
  domain?: string;

  @ApiPropertyOptional({ default: LOAD_BALANCER_DEFAULTS.reloadCommand })
  @IsOptional()
  @IsOneLineCommand()
  reloadCommand?: string;

  @ApiPropertyOptional({ default: LOAD_BALANCER_DEFAULTS.testCommand })
  @IsOptional()
  @IsOneLineCommand()
  testCommand?: string;
}

export class HaproxyLoadBalancerDto extends RemoteLoadBalancerDto {
  @ApiProperty({ enum: ['haproxy'] })
  @Equals('haproxy')
  type: 'haproxy';

  @ApiProperty({ example: 'shop' })
  @IsHaproxyName()
  backend: string;

  @ApiPropertyOptional({ default: LOAD_BALANCER_DEFAULTS.socketPath })
  @IsOptional()
  @IsHaproxySocketPath()
  socketPath?: string;
}

/** Stands in for a `loadBalancer` whose `type` is unknown: only the type is reported. */
class UnknownLoadBalancerDto {
  @IsIn(LOAD_BALANCER_TYPES, { message: `type must be one of ${LOAD_BALANCER_TYPES.join(', ')}` })
  type: unknown;
}

export type LoadBalancerDto =
  NoLoadBalancerDto | TraefikLoadBalancerDto | NginxLoadBalancerDto | HaproxyLoadBalancerDto;

const BY_TYPE = {
  none: NoLoadBalancerDto,
  traefik: TraefikLoadBalancerDto,
  nginx: NginxLoadBalancerDto,
  haproxy: HaproxyLoadBalancerDto,
} as const;

/** Picks the DTO class from `type`, so each kind is validated (and whitelisted) by its own rules. */
export function toLoadBalancerDto(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const type = (value as { type?: unknown }).type;
  if (typeof type === 'string' && Object.hasOwn(BY_TYPE, type)) {
    const dto: new () => LoadBalancerDto = BY_TYPE[type as keyof typeof BY_TYPE];
    return plainToInstance(dto, value);
  }
  return plainToInstance(UnknownLoadBalancerDto, { type });
}

/** The stored and shown configuration: every default applied, fields in a fixed order. */
export function toLoadBalancerConfig(dto: LoadBalancerDto | null | undefined): LoadBalancerConfig {
  if (dto === undefined || dto === null || dto.type === 'none') return { type: 'none' };
  const drainSeconds = dto.drainSeconds ?? LOAD_BALANCER_DEFAULTS.drainSeconds;
  switch (dto.type) {
    case 'traefik':
      return {
        type: 'traefik',
        serverId: dto.serverId,
        configPath: dto.configPath,
        domain: dto.domain,
        drainSeconds,
      };
    case 'nginx':
      return {
        type: 'nginx',
        serverId: dto.serverId,
        configPath: dto.configPath,
        listenPort: dto.listenPort,
        domain: dto.domain ?? null,
        reloadCommand: dto.reloadCommand ?? LOAD_BALANCER_DEFAULTS.reloadCommand,
        testCommand: dto.testCommand ?? LOAD_BALANCER_DEFAULTS.testCommand,
        drainSeconds,
      };
    case 'haproxy':
      return {
        type: 'haproxy',
        serverId: dto.serverId,
        backend: dto.backend,
        socketPath: dto.socketPath ?? LOAD_BALANCER_DEFAULTS.socketPath,
        drainSeconds,
      };
  }
}
