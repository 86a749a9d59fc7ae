/* Runs a command and appends its peak resident set size (kB, from wait4) to the
 * file named by MAXRSS_FILE. Socket activation stays intact: LISTEN_PID is moved
 * to the command's pid, and this process lets go of the connection (fds 0, 1 and
 * from 3 on) so the peer sees only the command's own close. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: MAXRSS_FILE=path maxrss command [args...]\n");
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    if (getenv("LISTEN_PID")) {
      char own[32];
      snprintf(own, sizeof own, "%d", (int)getpid());
      setenv("LISTEN_PID", own, 1);
    }
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  close(0);
  close(1);
  for (int fd = 3; fd < 64; fd++) close(fd);

  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) < 0) return 1;
  const char *file = getenv("MAXRSS_FILE");
  FILE *out = file ? fopen(file, "a") : NULL;
  if (out) {
    fprintf(out, "%ld\n", usage.ru_maxrss);
    fclose(out);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
