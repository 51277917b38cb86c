import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min, ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';
import { isDockerImageName, isDockerTag } from './docker-reference';
import {
  commandLineEnvProblem,
  isDockerDataPath,
  isHaproxyName,
  isHaproxySocketPath,
  isHealthCheckPath,
  isHost,
  isHostname,
  isOneLineCommand,
  isRemoteFilePath,
  MAX_COMMAND_LENGTH,
  MAX_HAPROXY_NAME_LENGTH,
  MAX_HEALTH_CHECK_PATH_LENGTH,
  MAX_INT4,
  MAX_PATH_SEGMENT_BYTES,
  MAX_REMOTE_PATH_BYTES,
  MAX_SOCKET_PATH_BYTES,
  privateKeyProblem,
} from './rules';

/** A decorator from a predicate; the message is `<property> <text>`. */
function rule(name: string, test: (value: unknown) => boolean, text: string, options?: ValidationOptions) {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown) => test(value),
        defaultMessage: (args?: ValidationArguments) =>
          `${options?.each ? 'each value in ' : ''}${args?.property ?? 'value'} ${text}`,
      },
    },
    options,
  );
}

/** A decorator from a function that explains why a value is refused (null when it is fine). */
function explained(name: string, problem: (value: unknown) => string | null, options?: ValidationOptions) {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown) => problem(value) === null,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'value'} ${problem(args?.value) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

/** A positive database id (a Postgres `int`). */
export const IsId = (options?: ValidationOptions) =>
  applyDecorators(IsInt(options), Min(1, options), Max(MAX_INT4, options));

export const IsPort = (options?: ValidationOptions) =>
  applyDecorators(IsInt(options), Min(1, options), Max(65535, options));

export const IsDockerImageName = (options?: ValidationOptions) =>
  rule(
    'isDockerImageName',
    isDockerImageName,
    'must be a Docker image name without tag or digest, lowercase path components (e.g. ghcr.io/acme/shop)',
    options,
  );

export const IsDockerTag = (options?: ValidationOptions) =>
  rule('isDockerTag', isDockerTag, 'must be a Docker tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}', options);

export const IsHealthCheckPath = (options?: ValidationOptions) =>
  rule(
    'isHealthCheckPath',
    isHealthCheckPath,
    `must start with / and contain no whitespace, control or invisible characters (at most ${MAX_HEALTH_CHECK_PATH_LENGTH} characters)`,
    options,
  );

export const IsHost = (options?: ValidationOptions) =>
  rule(
    'isHost',
    isHost,
    'must be an IPv4 address, an IPv6 address (without a %zone) or a hostname (as an URL keeps it)',
    options,
  );

export const IsHostname = (options?: ValidationOptions) =>
  rule('isHostname', isHostname, 'must be a hostname (e.g. shop.example.com)', options);

export const IsRemoteFilePath = (options?: ValidationOptions) =>
  rule(
    'isRemoteFilePath',
    isRemoteFilePath,
    'must be an absolute, normalized file path (no "." or ".." segment, no "//", no trailing /) without ' +
      `whitespace, control or invisible characters, quotes or backslashes; at most ${MAX_REMOTE_PATH_BYTES} ` +
      `bytes, ${MAX_PATH_SEGMENT_BYTES} per segment`,
    options,
  );

export const IsDockerDataPath = (options?: ValidationOptions) =>
  rule(
    'isDockerDataPath',
    isDockerDataPath,
    'must be / or an absolute, normalized path (no "." or ".." segment, no "//", no trailing /) without ' +
      `whitespace, control or invisible characters, quotes or backslashes; at most ${MAX_REMOTE_PATH_BYTES} ` +
      `bytes, ${MAX_PATH_SEGMENT_BYTES} per segment`,
    options,
  );

export const IsHaproxySocketPath = (options?: ValidationOptions) =>
  rule(
    'isHaproxySocketPath',
    isHaproxySocketPath,
    'must be an absolute, normalized path of letters, digits, "_", ".", "-" and "/" ' +
      `(socat reads "," ":" "!" as syntax), at most ${MAX_SOCKET_PATH_BYTES} characters`,
    options,
  );

export const IsHaproxyName = (options?: ValidationOptions) =>
  rule(
    'isHaproxyName',
    isHaproxyName,
    `must contain only letters, digits, "_", ".", ":" and "-" (at most ${MAX_HAPROXY_NAME_LENGTH} characters)`,
    options,
  );

export const IsOneLineCommand = (options?: ValidationOptions) =>
  rule(
    'isOneLineCommand',
    isOneLineCommand,
    'must be a non-empty command on one line (no CR, LF, NUL, other control characters but tab, or ' +
      `invisible formatting characters; at most ${MAX_COMMAND_LENGTH} characters)`,
    options,
  );

export const IsEnvMap = (options?: ValidationOptions) =>
  explained('isEnvMap', commandLineEnvProblem, options);

export const IsPrivateKey = (options?: ValidationOptions) =>
  explained('isPrivateKey', privateKeyProblem, options);

/** A positive id given as a query-string value (`?applicationId=1`). */
/** A query-string whole number within `min..max` (query values arrive as strings). */
export const IsIntStringInRange = (min: number, max: number, options?: ValidationOptions) =>
  rule(
    'isIntStringInRange',
    (value) => typeof value === 'string' && /^[0-9]{1,10}$/.test(value) && +value >= min && +value <= max,
    `must be a whole number from ${min} to ${max}`,
    options,
  );

export const IsIdString = (options?: ValidationOptions) =>
  rule(
    'isIdString',
    (value) => typeof value === 'string' && /^[1-9][0-9]{0,9}$/.test(value) && Number(value) <= MAX_INT4,
    'must be a positive integer',
    options,
  );
