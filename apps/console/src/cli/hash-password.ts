import { createInterface } from 'node:readline/promises';
import { hashPassword } from '@fraudstream/console';

/*
 * npm run -s console:hash-password [-- NAME ROLES]: reads a password on stdin (a line, or piped) and
 * prints its scrypt hash, or with NAME and ROLES the whole CONSOLE_USERS entry `NAME:ROLES:HASH`.
 */
async function main(): Promise<number> {
  const [name, roles] = process.argv.slice(2);
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const lines = createInterface({ input: process.stdin, terminal: false });
  let password = '';
  for await (const line of lines) {
    password = line;
    break;
  }
  lines.close();
  if (password.length === 0) {
    console.error('no password given on stdin');
    return 64;
  }
  const hash = await hashPassword(password);
  console.log(name && roles ? `${name}:${roles}:${hash}` : hash);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
