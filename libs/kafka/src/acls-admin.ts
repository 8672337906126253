import type { AclEntry, Admin, Kafka } from 'kafkajs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from './kafkajs';

/** A resource an ACL is about: a topic, a consumer group or a transactional id. */
export type AclResourceType = 'topic' | 'group' | 'transactional-id';

/** An operation an ACL allows. READ and WRITE imply DESCRIBE on the same resource. */
export type AclOperation = 'READ' | 'WRITE' | 'DELETE' | 'DESCRIBE';

/** One ALLOW rule: `principal` (a user name, without `User:`) may `operation` on the resources matching `name`. */
export interface AclBinding {
  readonly principal: string;
  readonly resourceType: AclResourceType;
  /** The resource's name, or with `match: 'prefixed'` the start of every name it covers. */
  readonly name: string;
  readonly match: 'literal' | 'prefixed';
  readonly operation: AclOperation;
}

const RESOURCE_TYPES: Record<AclResourceType, AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
};

const OPERATIONS: Record<AclOperation, AclOperationTypes> = {
  READ: AclOperationTypes.READ,
  WRITE: AclOperationTypes.WRITE,
  DELETE: AclOperationTypes.DELETE,
  DESCRIBE: AclOperationTypes.DESCRIBE,
};

function aclEntry(binding: AclBinding): AclEntry {
  return {
    principal: `User:${binding.principal}`,
    // Clients connect over loopback or through a pod network: the host is not what identifies them.
    host: '*',
    resourceType: RESOURCE_TYPES[binding.resourceType],
    resourceName: binding.name,
    resourcePatternType:
      binding.match === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
    operation: OPERATIONS[binding.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

const APPLIED_TIMEOUT_MS = 30_000;
const APPLIED_POLL_MS = 100;

const entryKey = (e: Omit<AclEntry, 'host'>): string =>
  [e.principal, e.resourceType, e.resourceName, e.resourcePatternType, e.operation, e.permissionType].join(
    '|',
  );

/**
 * Waits until the broker lists every entry. A KRaft controller acknowledges CreateAcls once the rules
 * are in its metadata log; the broker's authorizer applies them a moment later, and until then a
 * client is refused (an idempotent producer with CLUSTER_AUTHORIZATION_FAILED).
 */
async function waitUntilApplied(admin: Admin, entries: readonly AclEntry[]): Promise<void> {
  const deadline = Date.now() + APPLIED_TIMEOUT_MS;
  for (;;) {
    const { resources } = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const listed = new Set(resources.flatMap((r) => r.acls.map((acl) => entryKey({ ...r, ...acl }))));
    const missing = entries.filter((e) => !listed.has(entryKey(e)));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${missing.length} ACLs not applied by the broker after ${APPLIED_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, APPLIED_POLL_MS));
  }
}

/**
 * Creates the ALLOW rules (the client must be a super user or hold ALTER on the cluster) and returns
 * once the broker enforces them. Creating a rule that exists changes nothing, so this is idempotent.
 */
export async function createAcls(kafka: Kafka, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  const entries = bindings.map(aclEntry);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: entries });
    await waitUntilApplied(admin, entries);
  } finally {
    await admin.disconnect();
  }
}
