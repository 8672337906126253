import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let schemasDir: string | undefined;

/** The repository's schemas/ folder, found from this file whether it runs from sources or dist/. */
export function schemasDirectory(): string {
  if (schemasDir) return schemasDir;
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, 'tx.transactions.v1.avsc'))) {
      schemasDir = candidate;
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`schemas/ folder not found above ${__dirname}`);
    dir = parent;
  }
}

/** The Avro schema (parsed JSON) in schemas/<file>. */
export function readAvroSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(schemasDirectory(), file), 'utf8')) as Record<string, unknown>;
}
