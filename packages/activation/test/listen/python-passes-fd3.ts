/**
 * The end of a python script that has made socket `s`: it becomes fd 3 of the program in argv[program:],
 * which python execs in its own place, so LISTEN_PID (its own pid) is the program's.
 */
export const execWithFd3 = (program: number): string => `
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)  # dup2 onto itself keeps close-on-exec
os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()))
os.execv(sys.argv[${program}], sys.argv[${program}:])
`;
