// Prints one JSON line: fdInfo() of every activated fd (or of the fd numbers given as arguments).
import { fdInfo, listenFds } from '../../dist/index.js';

const fds = process.argv.length > 2 ? process.argv.slice(2).map(Number) : listenFds().map((f) => f.fd);
process.stdout.write(`${JSON.stringify({ pid: process.pid, fds: fds.map((fd) => fdInfo(fd)) })}\n`);
