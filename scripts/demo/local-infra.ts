/*
 * The demo's local Kafka, schema registry and Redis: started through scripts/infra.sh when none
 * answers, and stopped again when the demo ends (normally, on Ctrl-C or on an error) unless it is
 * asked to keep them, so a run leaves the machine as it found it. What was running before is left
 * as it was.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SERVICE_NAMES: Readonly<Record<string, string>> = {
  kafka: 'Kafka',
  registry: 'schema registry',
  redis: 'Redis',
};

/** The endpoints scripts/infra.sh prints (`KAFKA_BROKERS=...` lines), for the demo's clients and apps. */
export interface LocalEndpoints {
  readonly KAFKA_BROKERS?: string;
  readonly SCHEMA_REGISTRY_URL?: string;
}

function endpointsIn(output: string): LocalEndpoints {
  const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(output)?.[1];
  const brokers = value('KAFKA_BROKERS');
  const registry = value('SCHEMA_REGISTRY_URL');
  return {
    ...(brokers ? { KAFKA_BROKERS: brokers } : {}),
    ...(registry ? { SCHEMA_REGISTRY_URL: registry } : {}),
  };
}

/** "Kafka, schema registry and Redis". */
function listed(services: readonly string[]): string {
  const names = services.map((s) => SERVICE_NAMES[s] ?? s);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}` : (names[0] ?? '');
}

export class LocalInfrastructure {
  private readonly script: string;
  /** scripts/infra.sh's names of what `ensure` started, in its INFRA_STARTED line. */
  private started: string[] = [];
  private wasRunning = false;
  private released = false;

  constructor(private readonly root: string) {
    this.script = join(root, 'scripts', 'infra.sh');
  }

  /**
   * Starts what does not answer and returns where the stack is (FRAUDSTREAM_*_PORT may have moved it
   * off the default ports); throws when starting fails, having noted what it did start.
   */
  ensure(say: (line: string) => void): LocalEndpoints {
    const status = spawnSync('bash', [this.script, 'status'], {
      cwd: this.root,
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
    });
    if (status.status === 0) {
      this.wasRunning = true;
      return endpointsIn(status.stdout);
    }
    say('no Kafka / schema registry answering: starting the local infrastructure (npm run infra:up)');
    const up = spawnSync('bash', [this.script, 'up'], {
      cwd: this.root,
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    this.started = /^INFRA_STARTED="([^"]*)"$/m.exec(up.stdout)?.[1]?.split(' ').filter(Boolean) ?? [];
    if (up.status !== 0) throw new Error('scripts/infra.sh up failed');
    return endpointsIn(up.stdout);
  }

  /**
   * Stops what `ensure` started, unless `keep`, and says which it did (null when the demo had no local
   * infrastructure to look after). Synchronous, so that it also runs as the process exits; once.
   */
  release(keep: boolean): string | null {
    if (this.released) return null;
    this.released = true;
    if (this.wasRunning)
      return 'the local Kafka and schema registry were running before the demo: left running';
    if (this.started.length === 0) return null;
    const what = listed(this.started);
    if (keep) return `left the local ${what} running (--keep-infra): stop with npm run infra:down`;
    // In a session of its own, so that a further Ctrl-C on the terminal does not cut the stop short.
    const down = spawnSync('setsid', ['--wait', 'bash', this.script, 'down', ...this.started], {
      cwd: this.root,
      stdio: 'inherit',
    });
    return down.status === 0
      ? `stopped the local ${what} it started (keep them with --keep-infra)`
      : `could not stop the local ${what} (see above): npm run infra:down stops them`;
  }
}
