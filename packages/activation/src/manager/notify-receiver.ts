import { closeSync } from 'node:fs';
import { whenReadable } from './held-socket.js';
import { SystemdError } from '../errors.js';
import { MAX_NOTIFY_MESSAGE_BYTES } from '../limits.js';
import { requireNative, type NativeBinding } from '../native/index.js';

/** One datagram received on a NOTIFY_SOCKET, as a service manager sees it. */
export interface Notification {
  /** the sender's pid, uid and gid, from the kernel (SO_PASSCRED); undefined when absent */
  pid: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  /** the KEY=VALUE lines in the order sent (a key may repeat: systemd mostly takes the first) */
  fields: [string, string][];
  /** lines that are not KEY=VALUE */
  malformed: string[];
  /** fds passed with SCM_RIGHTS: the receiver's to keep or close */
  fds: number[];
  /** why systemd would drop the whole datagram (too long, a NUL byte, no credentials, cut fds) */
  dropped: string | undefined;
}

/** A bound NOTIFY_SOCKET receiver; see receiveNotifications(). */
export interface NotifyReceiver {
  /** what NOTIFY_SOCKET must hold to reach it */
  readonly address: string;
  /**
   * Handles now, synchronously, every datagram already queued. A manager calls it before it
   * handles a service's exit: what the service sent before it exited is then never seen after
   * its exit, nor lost when the manager ends with it (systemd reads its notify socket first too).
   */
  flush(): void;
  /** Stops receiving; the socket closes once the pending wait ends (within half a second). */
  close(): void;
}

// A bound on each wait, so that close() takes effect and no thread-pool thread waits forever.
const WAIT_SLICE_MS = 500;

/** Splits a datagram the way systemd does: lines on "\n", each KEY=VALUE. */
export function parseNotification(data: Buffer): Pick<Notification, 'fields' | 'malformed'> {
  const fields: [string, string][] = [];
  const malformed: string[] = [];
  for (const line of data.toString('utf8').split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq > 0) fields.push([line.slice(0, eq), line.slice(eq + 1)]);
    else malformed.push(line);
  }
  return { fields, malformed };
}

/**
 * Binds an AF_UNIX datagram socket at `address` ('/path' or '@abstract') and calls `onNotification`
 * for every datagram sent to it, with the sender's credentials and passed fds, the way the service
 * manager receives `sd_notify()` messages. Readability is awaited on libuv's thread pool; the event
 * loop never blocks. `onError` gets a failure of the socket itself, after which receiving stops.
 *
 * Throws a SystemdError: EADDRINUSE (address taken), ENOENT (no such directory), ENAMETOOLONG
 * (over 108 bytes), EINVAL (neither '/' nor '@'), ENOTSUP (no native part).
 */
export function receiveNotifications(
  address: string,
  onNotification: (notification: Notification) => void,
  onError: (error: Error) => void = (error) => {
    throw error;
  },
): NotifyReceiver {
  const binding = requireNative('receiveNotifications');
  let fd: number;
  try {
    fd = binding.bindDatagram(address);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SystemdError(`cannot receive notifications on ${address}: ${e.message}`, e.code ?? 'EIO', {
      subject: 'NOTIFY_SOCKET',
      value: address,
      cause: error,
    });
  }
  let open = true;
  const run = async (): Promise<void> => {
    try {
      while (open) {
        const ready = await whenReadable([fd], WAIT_SLICE_MS);
        if (open && ready.length > 0) drain(binding, fd, onNotification);
      }
    } catch (error) {
      open = false;
      onError(error as Error);
    } finally {
      closeSync(fd);
    }
  };
  void run();
  return {
    address,
    flush: () => {
      if (!open) return;
      try {
        drain(binding, fd, onNotification);
      } catch (error) {
        open = false; // the wait loop closes the socket
        onError(error as Error);
      }
    },
    close: () => {
      open = false;
    },
  };
}

function drain(binding: NativeBinding, fd: number, onNotification: (notification: Notification) => void): void {
  for (let datagram = binding.receive(fd); datagram !== null; datagram = binding.receive(fd)) {
    const hasCredentials = datagram.pid >= 0;
    const dropped =
      datagram.size > MAX_NOTIFY_MESSAGE_BYTES
        ? `larger than ${MAX_NOTIFY_MESSAGE_BYTES} bytes (${datagram.size})`
        : datagram.truncated
          ? 'its fds did not fit'
          : datagram.data.includes(0)
            ? 'it contains a NUL byte'
            : !hasCredentials
              ? 'it came without credentials'
              : undefined;
    onNotification({
      pid: hasCredentials ? datagram.pid : undefined,
      uid: hasCredentials ? datagram.uid : undefined,
      gid: hasCredentials ? datagram.gid : undefined,
      ...parseNotification(datagram.data.subarray(0, MAX_NOTIFY_MESSAGE_BYTES)),
      fds: datagram.fds,
      dropped,
    });
  }
}
