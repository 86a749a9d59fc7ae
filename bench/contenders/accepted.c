/* Accept=yes in C: the connection is fd 3. */
#include <unistd.h>

int main(void) {
  static const char message[] = "This socket was already accepted\n";
  return write(3, message, sizeof message - 1) < 0;
}
