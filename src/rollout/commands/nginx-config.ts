import type { ApplicationRef, RotationMember } from '../ports/load-balancer.port';
import { MANAGED_HEADER, assertPort, memberAddress, normalizeDomain, proxyObjectName } from './proxy-names';

export interface NginxConfigInput {
  application: ApplicationRef;
  listenPort: number;
  domain: string | null;
  members: readonly RotationMember[];
}

export function nginxUpstreamName(application: ApplicationRef): string {
  return `rollout_${proxyObjectName(application)}`;
}

/**
 * An upstream of every instance in rotation and a server block proxying to it. Keep-alive to the upstream
 * needs HTTP/1.1 and an empty Connection header; `proxy_next_upstream` retries a request that hit an instance
 * just as it went away. With nobody in rotation, only a server block answering 503.
 */
export function renderNginxConfig(input: NginxConfigInput): string {
  assertPort(input.listenPort, 'listenPort');
  const upstream = nginxUpstreamName(input.application);
  const servers = input.members.map((member) => `    server ${memberAddress(member)};`);
  const serverName = input.domain === null ? [] : [`    server_name ${normalizeDomain(input.domain)};`];
  const listen = [`    listen ${input.listenPort};`, ...serverName];

  if (servers.length === 0) {
    return lines(
      MANAGED_HEADER,
      'server {',
      ...listen,
      '',
      '    location / {',
      '        return 503;',
      '    }',
      '}',
    );
  }
  return lines(
    MANAGED_HEADER,
    `upstream ${upstream} {`,
    ...servers,
    '    keepalive 16;',
    '}',
    '',
    'server {',
    ...listen,
    '',
    '    location / {',
    `        proxy_pass http://${upstream};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '        proxy_set_header Host $host;',
    '        proxy_set_header X-Real-IP $remote_addr;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '        proxy_set_header X-Forwarded-Proto $scheme;',
    '        proxy_next_upstream error timeout http_502 http_503 non_idempotent;',
    '    }',
    '}',
  );
}

function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}
