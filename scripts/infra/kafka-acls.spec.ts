import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Topics } from '@fraudstream/contracts';
import type { AclBinding } from '@fraudstream/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleAppConfigSchema } from '../../apps/console/src/console.config';
import { loadDriftMonitorConfig } from '../../apps/drift-monitor/src/drift-monitor.config';
import { rebuildGroupPrefix } from '../../apps/scorer/src/feature-state.rebuild';
import { loadScorerConfig } from '../../apps/scorer/src/scorer.config';
import { loadTrainerConfig } from '../../apps/trainer/src/trainer.config';
import { aclBindings, aclTableMarkdown, loadKafkaAclTable } from './kafka-acls';

const table = loadKafkaAclTable();
const bindings = aclBindings(table);

/** Whether `principal` may `operation` the resource `name`, as the broker's authorizer matches rules. */
function allowed(
  principal: string,
  resourceType: AclBinding['resourceType'],
  name: string,
  operation: AclBinding['operation'],
): boolean {
  return bindings.some(
    (b) =>
      b.principal === principal &&
      b.resourceType === resourceType &&
      (b.operation === operation || (operation === 'DESCRIBE' && ['READ', 'WRITE'].includes(b.operation))) &&
      (b.match === 'literal' ? b.name === name : name.startsWith(b.name)),
  );
}

const writers = (topic: string): string[] =>
  Object.keys(table).filter((principal) => allowed(principal, 'topic', topic, 'WRITE'));

describe(aclBindings.name, () => {
  it('gives the scorer what its exactly-once loop needs and nothing more', () => {
    const scorer = bindings.filter((b) => b.principal === 'scorer');
    expect(scorer).toHaveLength(16);
    for (const topic of [Topics.transactions, Topics.labels, Topics.modelDeployments])
      expect(allowed('scorer', 'topic', topic, 'READ')).toBe(true);
    for (const topic of [Topics.scores, Topics.alerts, 'tx.transactions.v1.dlq'])
      expect(allowed('scorer', 'topic', topic, 'WRITE')).toBe(true);
    // Its transactional producers (`<group>.<topic>.<partition>`) commit the transactions' offsets.
    expect(allowed('scorer', 'transactional-id', 'scorer.tx.transactions.v1.3', 'WRITE')).toBe(true);
    expect(allowed('scorer', 'group', 'scorer', 'READ')).toBe(true);
    for (const topic of [Topics.labels, Topics.transactions, Topics.retrainRequests, Topics.driftEvents])
      expect(allowed('scorer', 'topic', topic, 'WRITE')).toBe(false);
    expect(allowed('scorer', 'topic', Topics.cases, 'DESCRIBE')).toBe(false);
    expect(allowed('scorer', 'transactional-id', 'trainer.x', 'WRITE')).toBe(false);
    expect(allowed('scorer', 'group', 'drift-monitor', 'READ')).toBe(false);
    // Its feature-state rebuild reads the transactions' dead letters (to skip them), no other.
    expect(allowed('scorer', 'topic', 'tx.transactions.v1.dlq', 'READ')).toBe(true);
    expect(allowed('scorer', 'topic', 'fraud.labels.v1.dlq', 'READ')).toBe(false);
    expect(allowed('scorer', 'topic', 'tx.scores.v1.dlq', 'READ')).toBe(false);
  });

  it('lets only the trainer, the console and the scorer write deployments, and one app each source of truth', () => {
    // The trainer deploys, an admin promotes or rolls back in the console, a scorer reports LOAD_REFUSED.
    expect(writers(Topics.modelDeployments).sort()).toEqual(['console', 'scorer', 'trainer']);
    expect(writers(Topics.transactions)).toEqual(['simulator']);
    expect(writers(Topics.scores)).toEqual(['scorer']);
    expect(writers(Topics.labels).sort()).toEqual(['console', 'simulator']);
    expect(writers(Topics.retrainRequests)).toEqual(['drift-monitor']);
    expect(writers(Topics.cases)).toEqual(['console']);
  });

  it('lets a principal delete only the throw-away groups its consumers delete when they stop', () => {
    const deletes = bindings.filter((b) => b.operation === 'DELETE');
    expect(deletes.every((b) => b.resourceType === 'group' && b.match === 'prefixed')).toBe(true);
    expect(allowed('scorer', 'group', 'scorer', 'DELETE')).toBe(false);
  });

  it("covers the apps' default consumer groups and transactional ids", () => {
    const scorer = loadScorerConfig({});
    expect(allowed('scorer', 'group', scorer.SCORER_GROUP_ID, 'READ')).toBe(true);
    expect(allowed('scorer', 'group', scorer.SCORER_LABELS_GROUP_ID, 'READ')).toBe(true);
    expect(
      allowed('scorer', 'group', `${scorer.SCORER_DEPLOYMENTS_GROUP_PREFIX}.host-1.ab12`, 'DELETE'),
    ).toBe(true);
    expect(allowed('scorer', 'transactional-id', `${scorer.SCORER_GROUP_ID}.t.0`, 'WRITE')).toBe(true);
    expect(allowed('scorer', 'group', `${rebuildGroupPrefix(scorer.SCORER_GROUP_ID)}-0f1e2d3c`, 'READ')).toBe(
      true,
    );
    const drift = loadDriftMonitorConfig({});
    expect(allowed('drift-monitor', 'group', drift.DRIFT_GROUP_ID, 'READ')).toBe(true);
    expect(
      allowed('drift-monitor', 'group', `${drift.DRIFT_DEPLOYMENTS_GROUP_PREFIX}.host-1.ab12`, 'DELETE'),
    ).toBe(true);
    const trainer = loadTrainerConfig({});
    expect(allowed('trainer', 'group', trainer.TRAINER_GROUP_ID, 'READ')).toBe(true);
    expect(allowed('trainer', 'group', `${trainer.TRAINER_LIFECYCLE_GROUP_ID}.scores`, 'READ')).toBe(true);
    // The console's config needs users to load: its group prefix's default is enough here.
    const consolePrefix = consoleAppConfigSchema.shape.CONSOLE_GROUP_PREFIX.parse(undefined);
    expect(allowed('console', 'group', `${consolePrefix}-cases.host-1.ab12`, 'DELETE')).toBe(true);
  });
});

describe(loadKafkaAclTable.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-acls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a topic that is not one of the loop', () => {
    const raw = JSON.parse(readFileSync(resolve(__dirname, 'kafka-acls.json'), 'utf8')) as {
      principals: { scorer: { writes: string[] } };
    };
    raw.principals.scorer.writes.push('tx.scores.v1');
    const file = join(dir, 'acls.json');
    writeFileSync(file, JSON.stringify(raw));
    expect(() => loadKafkaAclTable(file)).toThrow(/principals\.scorer\.writes\[3\]/);
  });
});

describe(aclTableMarkdown.name, () => {
  it('is the table docs/security.md shows', () => {
    const docs = readFileSync(resolve(__dirname, '..', '..', 'docs', 'security.md'), 'utf8');
    expect(docs).toContain(aclTableMarkdown(table));
  });
});
