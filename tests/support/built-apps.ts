import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AvroSerde, Kafka } from '@fraudstream/kafka';
import { afterAll, beforeAll } from 'vitest';
import { testClients } from './kafka-env';

const ROOT = join(__dirname, '..', '..');

/** What a spec that runs the apps as processes from dist/ gets, once its beforeAll ran. */
export interface BuiltApps {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  /** The apps' logs, removed after the spec. */
  readonly logDir: string;
}

/**
 * For a describe block that starts app processes from dist/: builds dist/ once before its tests,
 * connects the test clients and makes a log directory (`<name>-*` under the temp dir), removed after.
 */
export function builtApps(name: string): BuiltApps {
  const state: { kafka?: Kafka; serde?: AvroSerde; logDir?: string } = {};
  beforeAll(() => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    ({ kafka: state.kafka, serde: state.serde } = testClients());
    state.logDir = mkdtempSync(join(tmpdir(), `${name}-`));
  });
  afterAll(() => {
    if (state.logDir) rmSync(state.logDir, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is set in beforeAll`);
    return value;
  };
  return {
    get kafka() {
      return ready(state.kafka, 'kafka');
    },
    get serde() {
      return ready(state.serde, 'serde');
    },
    get logDir() {
      return ready(state.logDir, 'logDir');
    },
  };
}
