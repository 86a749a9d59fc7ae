import { invalid, SystemdError } from '../errors.js';

/** The first passed fd: systemd hands over fds 3, 4, … (sd_listen_fds(3)). */
export const SD_LISTEN_FDS_START = 3;

/** One fd passed by the service manager, with its name from LISTEN_FDNAMES (`unknown` when unnamed). */
export interface ListenFd {
  fd: number;
  name: string;
}

/** What LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES say about one process. */
export interface ListenEnvironment {
  /** The fds passed to the process, as sd_listen_fds_with_names() counts them: [] unless LISTEN_PID names it. */
  fds: ListenFd[];
  /** LISTEN_PID names the process (so it is the one the manager started, even with LISTEN_FDS absent). */
  listenPidMatches: boolean;
  /**
   * Set when LISTEN_FDS is set but not for this process: LISTEN_PID names another one (a wrapper such as
   * `npm start`, a shell or a Node parent received the fds), or is absent. libsystemd answers 0 fds
   * then; the adopting functions refuse to fall back and name the wrapper instead.
   */
  meantForOther?: { listenPid: number | undefined; pid: number; listenFds: string };
  /**
   * In a node:cluster worker whose primary was socket-activated: the primary's passed fds (numbers in
   * the primary). listen() and listenAll() listen on them through the primary, as Node's cluster does.
   */
  primaryFds?: ListenFd[];
}

/**
 * Parses the socket-activation variables of `env` for process `pid`, the way sd_listen_fds_with_names()
 * does or stricter: numbers are plain decimal (no sign, spaces, hex or leading zeros, which libsystemd
 * would read as octal). Pure: reads nothing but its arguments and changes nothing; whether the fds are
 * open, and really inherited, is for the caller to check (listenFds()).
 * @throws SystemdError `EINVAL` naming LISTEN_PID, LISTEN_FDS or LISTEN_FDNAMES and its value when malformed
 */
export function parseListenEnvironment(env: NodeJS.ProcessEnv, pid: number): ListenEnvironment {
  const listenPidValue = env.LISTEN_PID;
  const listenFdsValue = env.LISTEN_FDS;
  if (listenPidValue === undefined) {
    const meantForOther = listenFdsValue === undefined ? undefined : { listenPid: undefined, pid, listenFds: listenFdsValue };
    return { fds: [], listenPidMatches: false, ...(meantForOther === undefined ? {} : { meantForOther }) };
  }
  const listenPid = parseDecimal(listenPidValue);
  if (listenPid === undefined || listenPid === 0) {
    throw invalid('LISTEN_PID', listenPidValue, 'a process id (decimal digits only, no leading zeros)');
  }
  if (listenPid !== pid) {
    const meantForOther = listenFdsValue === undefined ? undefined : { listenPid, pid, listenFds: listenFdsValue };
    return { fds: [], listenPidMatches: false, ...(meantForOther === undefined ? {} : { meantForOther }) };
  }

  if (listenFdsValue === undefined) return { fds: [], listenPidMatches: true };
  const count = parseDecimal(listenFdsValue);
  if (count === undefined || count <= 0 || count > 0x7fffffff - SD_LISTEN_FDS_START) {
    throw invalid('LISTEN_FDS', listenFdsValue, 'a positive number of fds (decimal digits only, no leading zeros)');
  }

  const names = env.LISTEN_FDNAMES === undefined ? undefined : env.LISTEN_FDNAMES.split(':');
  if (names !== undefined && names.length !== count) {
    throw new SystemdError(
      `LISTEN_FDNAMES=${JSON.stringify(env.LISTEN_FDNAMES)} has ${names.length} name(s) but LISTEN_FDS=${count}: expected one name per fd`,
      'EINVAL',
      { subject: 'LISTEN_FDNAMES', value: env.LISTEN_FDNAMES },
    );
  }
  const fds = Array.from({ length: count }, (_, i) => ({ fd: SD_LISTEN_FDS_START + i, name: names?.[i] ?? 'unknown' }));
  return { fds, listenPidMatches: true };
}

/**
 * Plain decimal within the safe integer range; anything else is undefined. Leading zeros are refused:
 * libsystemd reads `010` as octal 8 and refuses `08`, so accepting either as decimal would disagree with it.
 */
function parseDecimal(value: string): number | undefined {
  if (!/^(?:0|[1-9][0-9]{0,14})$/.test(value)) return undefined;
  return Number(value);
}
