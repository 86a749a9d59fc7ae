import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** What socket-service answers when no configuration file says otherwise. */
export const DEFAULT_ANSWER = 'This is a test';

/**
 * The line socket-service answers: `ANSWER=` in the file SOCKET_SERVICE_CONFIG names (KEY=VALUE
 * lines, as in an EnvironmentFile=), read at start and again on every reload; DEFAULT_ANSWER
 * when the variable is unset. Throws when the file cannot be read or holds no usable ANSWER.
 */
export function readAnswer(env: NodeJS.ProcessEnv = process.env): string {
  const file = env.SOCKET_SERVICE_CONFIG;
  if (file === undefined || file === '') return DEFAULT_ANSWER;
  const answer = parseEnv(readFileSync(file, 'utf8')).ANSWER;
  if (answer === undefined || answer === '' || /[\r\n]/.test(answer)) {
    throw new Error(`SOCKET_SERVICE_CONFIG=${file}: ANSWER=${JSON.stringify(answer ?? null)}: expected one line of text`);
  }
  return answer;
}
