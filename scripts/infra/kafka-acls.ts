/*
 * The secure broker's principals and what each may do, from scripts/infra/kafka-acls.json: the ACLs
 * `npm run infra:up -- --secure` creates, and the table of docs/security.md (a unit test keeps the
 * two equal).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TOPIC_SPECS, Topics, deadLetterTopic, type TopicKey } from '@fraudstream/contracts';
import { createAcls, ensureTopics, type AclBinding, type Kafka } from '@fraudstream/kafka';
import { z } from 'zod';

/** The super user of the secure broker: creates topics and ACLs; no app runs as it. */
export const SECURE_ADMIN = 'admin';

const topicKey = z.enum(Object.keys(Topics) as [TopicKey, ...TopicKey[]]);
const namePattern = z.strictObject({ name: z.string().min(1), match: z.enum(['literal', 'prefixed']) });

const principalSchema = z.strictObject({
  app: z.string().min(1),
  reads: z.array(topicKey),
  writes: z.array(topicKey),
  deadLetters: z.array(topicKey),
  readsDeadLetters: z.array(topicKey).default([]),
  groups: z.array(namePattern),
  ephemeralGroups: z.array(namePattern),
  transactionalIds: z.array(namePattern),
  why: z.string().min(1),
});

const tableSchema = z.strictObject({
  $comment: z.string(),
  principals: z.record(
    z.string().regex(/^[a-z][a-z-]*$/, 'a principal is a lower-case name (it is also a file name)'),
    principalSchema,
  ),
});

export type PrincipalGrants = z.infer<typeof principalSchema>;
export type KafkaAclTable = Readonly<Record<string, PrincipalGrants>>;

const TABLE_FILE = join('scripts', 'infra', 'kafka-acls.json');

/** scripts/infra/kafka-acls.json, found from this file whether it runs from sources or dist/. */
function tableFile(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, TABLE_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${TABLE_FILE} not found above ${__dirname}`);
  }
}

/** The principals and their grants, validated (an unknown topic key or field fails here). */
export function loadKafkaAclTable(file = tableFile()): KafkaAclTable {
  const parsed = tableSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  if (SECURE_ADMIN in parsed.data.principals)
    throw new Error(`${file}: ${SECURE_ADMIN} is the super user and has no grants`);
  return parsed.data.principals;
}

/**
 * The ALLOW rules of the table. Least privilege: READ on what an app consumes (and its groups), WRITE
 * on what it produces and on its dead-letter topics (READ on those its feature rebuild reads),
 * DELETE only on groups its consumers delete, WRITE on its transactional ids. No cluster rule:
 * since Kafka 3.0, WRITE on a topic is enough for an idempotent producer (KIP-679), and no app
 * creates topics.
 */
export function aclBindings(table: KafkaAclTable): AclBinding[] {
  return Object.entries(table).flatMap(([principal, grants]) => {
    const topic = (name: string, operation: AclBinding['operation']): AclBinding => ({
      principal,
      resourceType: 'topic',
      name,
      match: 'literal',
      operation,
    });
    return [
      ...grants.reads.map((key) => topic(Topics[key], 'READ')),
      ...grants.writes.map((key) => topic(Topics[key], 'WRITE')),
      ...grants.deadLetters.map((key) => topic(deadLetterTopic(Topics[key]), 'WRITE')),
      ...grants.readsDeadLetters.map((key) => topic(deadLetterTopic(Topics[key]), 'READ')),
      ...[...grants.groups, ...grants.ephemeralGroups].map((g): AclBinding => ({
        principal,
        resourceType: 'group',
        ...g,
        operation: 'READ',
      })),
      ...grants.ephemeralGroups.map((g): AclBinding => ({
        principal,
        resourceType: 'group',
        ...g,
        operation: 'DELETE',
      })),
      ...grants.transactionalIds.map((t): AclBinding => ({
        principal,
        resourceType: 'transactional-id',
        ...t,
        operation: 'WRITE',
      })),
    ];
  });
}

const code = (s: string): string => `\`${s}\``;
const patterns = (list: readonly z.infer<typeof namePattern>[]): string =>
  list.map((p) => code(p.match === 'prefixed' ? `${p.name}*` : p.name)).join(', ') || '—';
const topics = (keys: readonly TopicKey[], name: (key: TopicKey) => string = (k) => Topics[k]): string =>
  keys.map((k) => code(name(k))).join(', ') || '—';

/** The table as Markdown, and each principal's reasons below it, as docs/security.md shows them. */
export function aclTableMarkdown(table: KafkaAclTable): string {
  const rows = Object.entries(table).map(([principal, g]) =>
    [
      code(principal),
      topics(g.reads),
      topics(g.writes),
      topics(g.deadLetters, (k) => deadLetterTopic(Topics[k])),
      topics(g.readsDeadLetters, (k) => deadLetterTopic(Topics[k])),
      patterns(g.groups),
      patterns(g.ephemeralGroups),
      patterns(g.transactionalIds),
    ].join(' | '),
  );
  return [
    '| principal | READ topics | WRITE topics | WRITE dead letters | READ dead letters | groups (READ) | groups (READ, DELETE) | transactional ids (WRITE) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
    ...Object.entries(table).map(([principal, g]) => `- ${code(principal)} (${code(g.app)}): ${g.why}`),
  ].join('\n');
}

/** Creates the loop's topics and the table's ACLs on a secure broker, as its super user. Idempotent. */
export async function setUpSecureKafka(admin: Kafka, table = loadKafkaAclTable()): Promise<void> {
  await ensureTopics(admin, TOPIC_SPECS);
  await createAcls(admin, aclBindings(table));
}
