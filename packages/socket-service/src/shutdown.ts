import type net from 'node:net';
import { notify } from '@sdnode/activation';
import { count } from './connections.js';

let stopping = false;

/**
 * Stops accepting, lets the open connections finish, then exits 0; says why on stderr and to
 * systemd (STOPPING=1). Under systemd connections that arrive meanwhile wait in the socket's
 * queue and start the service again.
 */
export function shutdown(servers: net.Server[], reason: string, open: number): void {
  if (stopping) return;
  stopping = true;
  const status = `${reason}: no longer accepting, finishing ${count(open, 'open connection')}`;
  console.error(`socket-service: ${status}`);
  notify.stopping(status);
  let closing = servers.length;
  // server.close() calls back once its last connection has ended.
  for (const server of servers) server.close(() => --closing === 0 && process.exit(0));
}
