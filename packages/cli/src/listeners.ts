import { rmSync } from 'node:fs';
import { type HeldSocketAddress, holdSocket } from '@sdnode/activation/manager';
import { showAddress } from './address.js';
import { closeAll } from './close-fds.js';
import type { Event } from './events.js';
import type { ActivateOptions } from './options.js';

/** One socket sdnode holds for the service, passed to it as fd 3, 4, … under `name`. */
export interface Listener {
  fd: number;
  where: HeldSocketAddress;
  name: string;
}

/**
 * Opens every --listen socket, in order (the first becomes fd 3), into `listeners`: filled as they
 * open, so that the caller can close those already open when a later one throws (a SystemdError
 * naming the address: EADDRINUSE, EACCES, EADDRNOTAVAIL, …).
 */
export function openListeners(options: ActivateOptions, listeners: Listener[], print: (event: Event) => void): void {
  options.listen.forEach((where, i) => {
    const fd = holdSocket(where);
    listeners.push({ fd, where, name: options.fdNames[i] as string });
    print({ event: 'listening', message: `listening on ${showAddress(where)} as fd ${3 + i}`, address: showAddress(where), fd: 3 + i });
  });
}

/** Closes the sockets (unless servers own their fds, as in --accept mode) and removes the unix socket files. */
export function closeListeners(listeners: readonly Listener[], ownedByServers: boolean): void {
  if (!ownedByServers) closeAll(listeners.map((listener) => listener.fd));
  for (const { where } of listeners) if (where.family === 'unix' && where.address.startsWith('/')) rmSync(where.address, { force: true });
}
