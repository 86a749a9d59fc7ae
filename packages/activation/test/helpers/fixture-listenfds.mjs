// Prints what listenFds() sees on the default (process.env) path, called twice, and the
// variables left behind; with the argument "keep", the first call keeps the environment.
import { listenFds } from '../../dist/index.js';

const keep = process.argv[2] === 'keep';
const first = listenFds(keep ? { unsetEnvironment: false } : {});
const left = { LISTEN_PID: process.env.LISTEN_PID, LISTEN_FDS: process.env.LISTEN_FDS, LISTEN_FDNAMES: process.env.LISTEN_FDNAMES };
const second = listenFds();
const after = { LISTEN_PID: process.env.LISTEN_PID, LISTEN_FDS: process.env.LISTEN_FDS, LISTEN_FDNAMES: process.env.LISTEN_FDNAMES };
const explicit = listenFds({ env: { LISTEN_PID: String(process.pid), LISTEN_FDS: '1' } });
process.stdout.write(`${JSON.stringify({ pid: process.pid, first, left, second, after, explicit })}\n`);
