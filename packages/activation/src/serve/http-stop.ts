import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2Session } from 'node:http2';
import type { Server } from 'node:net';

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
 * Watches `server` from now on (a plain net.Server emits neither event: nothing happens) and
 * returns what to call when the stop begins. Throws nothing.
 */
export function closeHttpConnectionsOnStop(server: Server): () => void {
  let stopping = false;
  const sessions = new Set<Http2Session>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // HTTP/2 requests (compat API) have no connection of their own to end: their session gets the GOAWAY.
    if (request.httpVersionMajor > 1) return;
    response.once('finish', () => {
      if (stopping) request.socket.end(); // end(), not destroy(): what is still buffered gets written first
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
