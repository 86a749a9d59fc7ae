// Accept=yes without the library: the connection is fd 3.
const net = require('node:net');

const connection = new net.Socket({ fd: 3, readable: true, writable: true });
connection.on('error', () => {});
connection.end('This socket was already accepted\n');
