// The launch scripts started with standard descriptors closed (`script 1>&- 2>&-`, as some
// supervisors and cron do): systemd-socket-activate puts the listening socket on the lowest free
// fd and aborts when that is not 3, so the scripts reopen fds 0–2 on /dev/null first.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, freePort, REPO_ROOT, request, Running, skippedFor, stopAll } from './support/index.js';

const ANSWERS = {
  'socket-service': 'This is a test\n',
  'socket-service-accepted': 'This socket was already accepted\n',
  'socket-service-inet': 'This socket was passed on stdin/stdout\n',
} as const;
const CLOSED = ['1>&- 2>&-', '2>&-', '0<&- 1>&- 2>&-'];

afterEach(stopAll);

/** Starts the script with `redirections` on a free port; resolves with the answer to one connection. */
async function answerWith(script: string, redirections: string): Promise<{ answer: string; launcher: Running }> {
  const port = await freePort();
  const launcher = new Running('bash', ['-c', `exec ./scripts/${script} ${redirections}`], {
    cwd: REPO_ROOT,
    env: cleanEnv({ PORT: String(port) }),
  });
  // Nothing to read on its stderr: poll the port (bounded) until it answers or the launcher is gone.
  for (let i = 0; i < 200 && launcher.alive; i++) {
    const answer = await request(port, { timeoutMs: 20_000 }).catch(() => undefined);
    if (answer !== undefined) return { answer, launcher };
    await sleep(50);
  }
  const exit = await Promise.race([launcher.exited, sleep(1000).then(() => undefined)]);
  throw new Error(`./scripts/${script} ${redirections} never answered on ${port} (exit ${JSON.stringify(exit)})`);
}

const noTools = skippedFor('systemd-socket-activate');
describe.skipIf(noTools)(`launch scripts with closed standard descriptors${noTools}`, () => {
  const cases = Object.entries(ANSWERS).flatMap(([daemon, answer]) => CLOSED.map((closed) => [`launch-${daemon}.sh`, closed, answer]));
  it.each(cases)('%s %s serves', async (script, closed, expected) => {
    const { answer, launcher } = await answerWith(script, closed);
    expect(answer).toBe(expected);
    expect(launcher.alive).toBe(true); // the daemon (mode 1) or systemd-socket-activate (modes 2, 3) goes on
    await launcher.stop();
  });
});
