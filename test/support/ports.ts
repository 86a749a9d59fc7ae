/**
 * The loopback ports tests pick at random (and retry on EADDRINUSE). Clear of bench/'s 29000–29999,
 * of the fixed ports the systemd beds lock (7001–7010, test/systemd/port-lock.ts) and of the
 * kernel's ephemeral range (32768 up), where the clients' own ports come from.
 */
export const PORT_RANGE = { first: 20000, last: 28999 } as const;

/** A port of the range that leaves room for port + 1 and port + 2 (tests that listen on up to three). */
export function randomPort(): number {
  return PORT_RANGE.first + Math.floor(Math.random() * (PORT_RANGE.last - 2 - PORT_RANGE.first + 1));
}
