import { invalid } from '../errors.js';
import type { FdInfo } from './fd-info.js';

/**
 * listen(2) takes an int; the kernel caps any backlog at net.core.somaxconn of the socket's network
 * namespace. systemd's default Backlog= is this number too (2147483647, `systemctl show -p Backlog`).
 */
export const MAX_BACKLOG = 2 ** 31 - 1;

/**
 * The backlog to adopt a passed listening socket with. Node calls listen(2) again on an adopted fd,
 * with 511 unless told otherwise, which would shrink a socket unit's Backlog= (by default the kernel's
 * cap, net.core.somaxconn: 4096 on current kernels). So: the caller's `requested`, else
 * the socket's own backlog when the kernel tells it (a TCP listener, with the native part), else
 * the largest, which the kernel caps at somaxconn: what systemd's default Backlog= amounts to. A
 * unix socket whose unit sets a smaller Backlog= is raised to somaxconn then, unless the caller
 * passes that backlog.
 */
export function adoptedBacklog(info: FdInfo, requested: number | undefined): number {
  return requested ?? info.backlog ?? MAX_BACKLOG;
}

/** @throws SystemdError `EINVAL` for a backlog that is not an integer from 1 to 2^31 - 1 */
export function checkBacklog(backlog: unknown): number | undefined {
  if (backlog === undefined) return undefined;
  if (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 1 || backlog > MAX_BACKLOG) {
    throw invalid('backlog', backlog, `an integer from 1 to ${MAX_BACKLOG} (listen(2); the kernel caps it at net.core.somaxconn)`);
  }
  return backlog;
}
