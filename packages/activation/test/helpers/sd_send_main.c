/* Command-line front end to sd_send(), for testing the socket code on other
 * architectures (e.g. a static arm64 build under qemu-aarch64) without Node.
 * Built by native.test.ts with -I native/. Usage: sd-send ADDRESS MESSAGE [--with-pipe]
 * --with-pipe passes the write end of a fresh pipe along with the message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sd_send.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s ADDRESS MESSAGE [--with-pipe]\n", argv[0]);
    return 2;
  }
  int fds[2] = {-1, -1};
  size_t nfds = 0;
  if (argc > 3 && strcmp(argv[3], "--with-pipe") == 0) {
    if (pipe(fds) < 0) return perror("pipe"), 1;
    nfds = 1;
  }
  int r = sd_send(argv[1], strlen(argv[1]), argv[2], strlen(argv[2]), &fds[1], nfds);
  if (r < 0) {
    fprintf(stderr, "sd_send: %s\n", strerror(-r));
    return 1;
  }
  return 0;
}
