import type { ServerEntity } from './server.entity';

/** A server as the API shows it: never the private key. */
export interface ServerView {
  id: number;
  name: string;
  host: string;
  port: number;
  user: string;
  hostKeyFingerprint: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toServerView(server: ServerEntity): ServerView {
  return {
    id: server.id,
    name: server.name,
    host: server.host,
    port: server.port,
    user: server.user,
    hostKeyFingerprint: server.hostKeyFingerprint,
    createdAt: server.createdAt.toISOString(),
    updatedAt: server.updatedAt.toISOString(),
  };
}
