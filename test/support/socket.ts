import { type Socket, io } from 'socket.io-client';

export interface SocketOptions {
  token?: string;
  /** Sent as the handshake's `Origin` header, as a browser page would. */
  origin?: string;
  namespace?: string;
}

/** A socket.io connection over websocket only, without reconnection; rejects with the server's refusal. */
export function connectSocket(url: string, options: SocketOptions = {}): Promise<Socket> {
  const socket = io(`${url}${options.namespace ?? '/deployments'}`, {
    auth: options.token === undefined ? {} : { token: options.token },
    transports: ['websocket'],
    extraHeaders: options.origin === undefined ? {} : { Origin: options.origin },
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}
