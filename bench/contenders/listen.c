/* Mode 1 in C: accept connections on the listening socket passed as fd 3. */
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  static const char message[] = "This is a test\n";
  for (;;) {
    int connection = accept(3, NULL, NULL);
    if (connection < 0) continue;
    (void)!write(connection, message, sizeof message - 1);
    close(connection);
  }
}
