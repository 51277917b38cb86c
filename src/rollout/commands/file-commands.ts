import { posix } from 'node:path';
import { isOneLineCommand, isRemoteFilePath } from '../../common/validation/rules';
import type { RemoteCommand } from '../ports/remote-executor.port';

/** Exit status of `readFileIfExists` when the file does not exist (distinct from `cat`'s own failures). */
export const FILE_MISSING_EXIT_CODE = 66;

/**
 * The temporary sibling used for atomic replaces. It stays in the same folder so the final `mv` is a
 * rename(2), and it ends in neither `.yaml`, `.yml`, `.toml` nor `.conf`, so neither Traefik's file watcher
 * nor an `include conf.d/*.conf` ever reads a half-written file.
 */
export function temporaryPathFor(path: string): string {
  assertAbsoluteFilePath(path);
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.rollout-tmp`);
}

/** Writes `content` (sent on stdin) to a temporary sibling, then renames it over `path`. */
export function atomicWriteFile(path: string, content: string): RemoteCommand {
  const script =
    'mkdir -p -- "$(dirname -- "$2")" && cat > "$1" && mv -f -- "$1" "$2" || { rm -f -- "$1"; exit 1; }';
  return { argv: ['sh', '-c', script, 'sh', temporaryPathFor(path), path], stdin: content };
}

/** Prints the file; exits with FILE_MISSING_EXIT_CODE when there is none. */
export function readFileIfExists(path: string): RemoteCommand {
  assertAbsoluteFilePath(path);
  return {
    argv: [
      'sh',
      '-c',
      `if [ -e "$1" ]; then cat -- "$1"; else exit ${FILE_MISSING_EXIT_CODE}; fi`,
      'sh',
      path,
    ],
  };
}

export function removeFile(path: string): RemoteCommand {
  assertAbsoluteFilePath(path);
  return { argv: ['rm', '-f', '--', path] };
}

/** An administrator-supplied command line (e.g. `nginx -s reload`), run as written by the remote shell. */
export function adminShellCommand(commandLine: string): RemoteCommand {
  if (!isOneLineCommand(commandLine))
    throw new Error(`an administrator command must be one non-empty line: ${JSON.stringify(commandLine)}`);
  return { argv: ['sh', '-c', commandLine] };
}

/** The request-time rule of `configPath`, so a path accepted then is never refused here. */
function assertAbsoluteFilePath(path: string): void {
  if (!isRemoteFilePath(path)) {
    throw new Error(`not an absolute, normalized file path: ${JSON.stringify(path)}`);
  }
}
