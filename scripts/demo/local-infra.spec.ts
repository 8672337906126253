import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalInfrastructure } from './local-infra';

/*
 * Against a stand-in scripts/infra.sh that records its calls and prints endpoints off the default
 * ports, as the real one does under FRAUDSTREAM_*_PORT: `status` exits with the code in ./status,
 * `up` also prints what it started and exits with the code in ./up.
 */
const STAND_IN = `#!/usr/bin/env bash
here="$(dirname "$0")"
echo "$*" >>"$here/calls"
case "$1" in
  status)
    echo "KAFKA_BROKERS=127.0.0.1:19092"
    echo "SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7"
    exit "$(cat "$here/status")"
    ;;
  up)
    echo "KAFKA_BROKERS=127.0.0.1:19092"
    echo "SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7"
    echo 'INFRA_STARTED="kafka registry redis"'
    exit "$(cat "$here/up")"
    ;;
  down) exit 0 ;;
esac
`;

describe(LocalInfrastructure.name, () => {
  let root: string;
  const said: string[] = [];
  const say = (line: string) => said.push(line);
  const calls = () => {
    const file = join(root, 'scripts', 'calls');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  };
  const stub = (status: number, up = 0) => {
    writeFileSync(join(root, 'scripts', 'status'), String(status));
    writeFileSync(join(root, 'scripts', 'up'), String(up));
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'local-infra-'));
    mkdirSync(join(root, 'scripts'));
    writeFileSync(join(root, 'scripts', 'infra.sh'), STAND_IN);
    said.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  // Where FRAUDSTREAM_*_PORT moved the stack, as scripts/infra.sh prints it.
  const endpoints = {
    KAFKA_BROKERS: '127.0.0.1:19092',
    SCHEMA_REGISTRY_URL: 'http://127.0.0.1:18081/apis/ccompat/v7',
  };

  it('stops at the end exactly what it started, and says so', () => {
    stub(1);
    const infra = new LocalInfrastructure(root);
    expect(infra.ensure(say)).toEqual(endpoints);
    expect(said).toEqual([
      'no Kafka / schema registry answering: starting the local infrastructure (npm run infra:up)',
    ]);
    expect(infra.release(false)).toBe(
      'stopped the local Kafka, schema registry and Redis it started (keep them with --keep-infra)',
    );
    expect(calls()).toEqual(['status', 'up', 'down kafka registry redis']);
    // Once only: the exit hook may run after the normal end.
    expect(infra.release(false)).toBeNull();
    expect(calls()).toHaveLength(3);
  });

  it('leaves what it started running when asked to keep it, and says how to stop it', () => {
    stub(1);
    const infra = new LocalInfrastructure(root);
    infra.ensure(say);
    expect(infra.release(true)).toBe(
      'left the local Kafka, schema registry and Redis running (--keep-infra): stop with npm run infra:down',
    );
    expect(calls()).toEqual(['status', 'up']);
  });

  it('leaves a stack that was running before the demo as it was', () => {
    stub(0);
    const infra = new LocalInfrastructure(root);
    expect(infra.ensure(say)).toEqual(endpoints);
    expect(said).toEqual([]);
    expect(infra.release(false)).toBe(
      'the local Kafka and schema registry were running before the demo: left running',
    );
    expect(calls()).toEqual(['status']);
  });

  it('stops what a failed start-up had started', () => {
    stub(1, 1);
    const infra = new LocalInfrastructure(root);
    expect(() => infra.ensure(say)).toThrow('scripts/infra.sh up failed');
    expect(infra.release(false)).toMatch(/^stopped the local Kafka, schema registry and Redis/);
    expect(calls()).toEqual(['status', 'up', 'down kafka registry redis']);
  });

  it('has nothing to say when it was never asked to start anything', () => {
    expect(new LocalInfrastructure(root).release(false)).toBeNull();
    expect(calls()).toEqual([]);
  });
});
