import { invalid, SystemdError } from '../errors.js';
import { describeFd, expectKind, type FdKind, isKind, NOT_ADOPTABLE } from './expect-kind.js';
import { type FdInfo, fdInfo } from './fd-info.js';
import { primaryFdInfo } from './primary-fds.js';
import type { ListenEnvironment, ListenFd } from './environment.js';
import { activationState } from './passed-fds.js';

/** How every adopting function chooses its fd among those passed. */
export interface FdSelection {
  /** Only fds with this LISTEN_FDNAMES name (FileDescriptorName=, FDNAME= of stored fds, `--fdname`). */
  name?: string;
  /**
   * This fd. Among the passed fds when the process was socket-activated; in a process that was not,
   * an fd it got some other way (its name is then `unknown`).
   */
  fd?: number;
}

/** A passed fd the selection chose, with what it is. */
export interface SelectedFd extends ListenFd {
  info: FdInfo;
}

/** What a selection found: the fds of the kind asked for, and all the passed fds it chose from. */
export interface Selected {
  fds: SelectedFd[];
  /** The passed fds: this process's, or in a cluster worker its primary's. */
  passed: ListenFd[];
  /** Every passed fd the selection looked at, with what it is (for the message when none fits). */
  described: SelectedFd[];
}

/**
 * The passed fds of `kind` that `selection` picks, for every adopting function alike:
 * - no `name` or `fd`: every passed fd of that kind (other kinds, e.g. the UDP socket of the same
 *   service, are left alone);
 * - `name` and/or `fd`: every passed fd that matches, each of which must be of that kind.
 * Refuses at once a process whose LISTEN_FDS was meant for another (a wrapper), rather than let the
 * caller fall back to listening elsewhere.
 * @throws SystemdError `EINVAL` for a malformed option, a wrong kind (fd left open) or an `fd` that was
 *   not passed; the wrapper error (LISTEN_PID); `ENOTSUP` for a kind other than a listening stream
 *   socket in a cluster worker (only those are shared through the primary); listenFds()'s errors
 */
export function selectFds(selection: FdSelection, kind: FdKind): Selected {
  const { name, fd } = selection;
  if (name !== undefined && typeof name !== 'string') throw invalid('name', name, 'a LISTEN_FDNAMES name (a string)');
  if (fd !== undefined && (!Number.isInteger(fd) || fd < 0)) throw invalid('fd', fd, 'a file descriptor number (a non-negative integer)');
  const activation = activationState();
  refuseWrapper(activation);
  const throughPrimary = activation.primaryFds !== undefined && activation.primaryFds.length > 0;
  if (throughPrimary && kind !== 'listening-stream') {
    throw new SystemdError(
      `this cluster worker's primary (pid ${process.ppid}) was socket-activated: a worker can only listen on the primary's listening sockets (listen(), listenAll()); adopt ${kind} sockets in the primary`,
      'ENOTSUP',
      { subject: 'LISTEN_PID', value: String(process.ppid) },
    );
  }
  const passed = throughPrimary ? activation.primaryFds! : activation.fds;

  let candidates = passed.filter((f) => (name === undefined || f.name === name) && (fd === undefined || f.fd === fd));
  if (fd !== undefined && candidates.length === 0) {
    const named = passed.find((f) => f.fd === fd);
    if (named !== undefined) {
      throw invalid('fd', fd, `an fd named "${name}", but fd ${fd} is named "${named.name}" (LISTEN_FDNAMES)`);
    }
    if (passed.length > 0) {
      throw invalid('fd', fd, `one of the fds passed by the service manager: ${describePassed(passed)}`);
    }
    if (name !== undefined) {
      throw invalid('fd', fd, `an fd named "${name}", but the process was not socket-activated: fd ${fd} has no name`);
    }
    candidates = [{ fd, name: 'unknown' }];
  }

  const fds = candidates.map((f) => ({ ...f, info: throughPrimary ? primaryFdInfo(f.fd) : fdInfo(f.fd) }));
  if (name !== undefined || fd !== undefined) {
    for (const f of fds) expectKind(f.info, kind, { name: f.name });
    return { fds, passed, described: fds };
  }
  return { fds: fds.filter((f) => isKind(f.info, kind)), passed, described: fds };
}

/**
 * Throws when LISTEN_FDS was set but for another process: under `ExecStart=npm start`, `sh -c …` or a
 * Node parent that spawns the program, LISTEN_PID names that wrapper and the sockets never reach this
 * process. Falling back would listen where no client looks while the real socket's clients wait.
 * @throws SystemdError `EINVAL` naming LISTEN_PID, both pids and the fix
 */
export function refuseWrapper(activation: ListenEnvironment): void {
  const other = activation.meantForOther;
  if (other === undefined) return;
  const fix =
    'the service manager passed its sockets to a wrapper, not to node. Start node itself: ExecStart=/usr/bin/node /path/to/app.js ' +
    '(not npm start, a shell or another program that spawns node), or make the wrapper exec node (sh -c "exec node app.js")';
  if (other.listenPid === undefined) {
    throw new SystemdError(
      `LISTEN_FDS=${JSON.stringify(other.listenFds)} is set but LISTEN_PID is not (this process is ${other.pid}): ${fix}`,
      'EINVAL',
      {
        subject: 'LISTEN_PID',
      },
    );
  }
  throw new SystemdError(
    `LISTEN_PID=${other.listenPid} names another process, not this one (pid ${other.pid}), with LISTEN_FDS=${JSON.stringify(other.listenFds)}: ${fix}`,
    'EINVAL',
    { subject: 'LISTEN_PID', value: String(other.listenPid) },
  );
}

/**
 * The fds among which none fitted: with what each is when the selection looked at them
 * (`fd 3 "vm" (a listening AF_VSOCK stream socket, which Node cannot adopt …)`), else their names.
 */
export function describeNoneFitted({ passed, described }: Selected): string {
  if (described.length === 0) return describePassed(passed);
  return described
    .map((f) => `fd ${f.fd} "${f.name}" (${describeFd(f.info)}${f.info.family === 'other' ? `, ${NOT_ADOPTABLE}` : ''})`)
    .join(', ');
}

/** `fd 3 "web", fd 4 "admin"`. */
export function describePassed(fds: ListenFd[]): string {
  return fds.map((f) => `fd ${f.fd} "${f.name}"`).join(', ');
}
