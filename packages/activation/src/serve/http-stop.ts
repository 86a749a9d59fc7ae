import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2Session } from 'node:http2';
import type { Server, Socket } from 'node:net';

/**
 * What a graceful stop of an HTTP server needs beyond `server.close()`, which waits until every
 * connection has ended while HTTP clients keep theirs open between requests:
 *
 * - HTTP/1.x (http, https, express, fastify, …): close() ends the keep-alive connections that are
 *   idle at that moment (Node ≥ 19), not one whose request is still in flight; after its response
 *   that one would stay open for the server's keepAliveTimeout (5 s in Node, 72 s in Fastify). Each
 *   is ended once its response is written.
 * - HTTP/2: close() leaves sessions open (Node 20). Each gets a GOAWAY, which lets the streams it
 *   has started finish and opens no more.
 *
 * - A connection accepted but whose first request is not read yet is not idle: Node 26's close()
 *   destroys it, request and all (the client gets a reset; Node 20 to 24 serve it). Only a
 *   connection that has been answered and waits for its next request is closed as idle.
 *
 * Watches `server` from now on (a plain net.Server emits neither event: nothing happens) and
 * returns what to call when the stop begins. Throws nothing.
 */
export function closeHttpConnectionsOnStop(server: Server): () => void {
  let stopping = false;
  const sessions = new Set<Http2Session>();
  const idle = keepOnlyServedConnectionsIdle(server);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // HTTP/2 requests (compat API) have no connection of their own to end: their session gets the GOAWAY.
    if (request.httpVersionMajor > 1) return;
    idle.delete(request.socket);
    response.once('finish', () => {
      if (stopping)
        request.socket.end(); // end(), not destroy(): what is still buffered gets written first
      else idle.add(request.socket);
    });
  });
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return () => {
    stopping = true;
    for (const session of sessions) session.close();
  };
}

/**
 * Replaces an HTTP/1 server's closeIdleConnections(), which close() calls (so does node:cluster when
 * a worker disconnects), by one that destroys only the connections that have been answered and
 * carry no request now; returns the set it reads, which the caller keeps up to date.
 */
function keepOnlyServedConnectionsIdle(server: Server): Set<Socket> {
  const idle = new Set<Socket>();
  const http1 = server as Server & { closeIdleConnections?: () => void };
  if (typeof http1.closeIdleConnections !== 'function') return idle;
  http1.closeIdleConnections = () => {
    for (const socket of idle) socket.destroy();
    idle.clear();
  };
  server.on('connection', (socket: Socket) => socket.once('close', () => idle.delete(socket)));
  return idle;
}
