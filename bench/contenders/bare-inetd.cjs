// inetd mode without the library: the connection is stdout (fd 1).
process.stdout.on('error', () => {});
process.stdout.end('This socket was passed on stdin/stdout\n');
