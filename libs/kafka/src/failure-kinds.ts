import { PoisonMessageError, RetriableError } from '@fraudstream/contracts';
import { ProduceError, RecordTooLargeError } from './transport.errors';

/*
 * How the transport tells a failure of the world (retry it) from a failure of a message (dead-letter
 * it). A produce or fetch that fails because the broker is away is never the message's fault, whatever
 * kafkajs's own `retriable` flag says: after a broker restart the idempotent producer reports
 * OUT_OF_ORDER_SEQUENCE_NUMBER and a dropped connection may surface as a non-retriable error.
 */

/** Node's socket-level error codes: the peer is away, not the message bad. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/** Broker error types that say a record or request is over the size limit. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** Broker error types after which the idempotent producer's state (id, epoch, sequences) is unusable. */
const PRODUCER_STATE = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
  'INVALID_TXN_STATE',
]);

/** Broker error types that say a transactional producer's epoch is no longer the current one. */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/** Group-membership errors kafkajs answers by rejoining the group (rethrow them from a batch). */
const REBALANCE = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
]);

function* chain(error: unknown): Generator<Record<string, unknown>> {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth++) {
    yield current as Record<string, unknown>;
    const next = current as { cause?: unknown; originalError?: unknown };
    current = next.cause ?? next.originalError;
  }
}

function hasType(error: unknown, types: ReadonlySet<string>): boolean {
  for (const e of chain(error)) if (typeof e.type === 'string' && types.has(e.type)) return true;
  return false;
}

/** The broker refused a record or request as too large. */
export function isRecordTooLarge(error: unknown): boolean {
  return hasType(error, TOO_LARGE);
}

/** The producer must be re-created before it can send again. */
export function needsNewProducer(error: unknown): boolean {
  return hasType(error, PRODUCER_STATE);
}

/**
 * The transactional producer was fenced: an instance with the same transactional id initialised
 * after it, or the coordinator aborted its transaction on timeout (which bumps the epoch too).
 */
export function isFenced(error: unknown): boolean {
  return hasType(error, FENCED);
}

/** The group is rebalancing or forgot this member: kafkajs rejoins when the batch rethrows it. */
export function isRebalance(error: unknown): boolean {
  return hasType(error, REBALANCE);
}

/**
 * A failure of the infrastructure rather than of the message: RetriableError, any kafkajs error other
 * than a size refusal, or a socket error. Retried until it clears; never dead-lettered.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof PoisonMessageError) return false;
  if (isRecordTooLarge(error)) return false;
  for (const e of chain(error)) {
    if (e instanceof RetriableError) return true;
    if (typeof e.name === 'string' && e.name.startsWith('KafkaJS')) return true;
    if (e.retriable === true) return true;
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  }
  return false;
}

/**
 * A failed produce as its caller sees it: a size refusal is the records' fault (RecordTooLargeError),
 * anything else the broker or the network caused is retriable (ProduceError, never a poison
 * verdict), and any other error comes back unchanged.
 */
export function classifyProduceFailure(
  error: unknown,
  message: string,
  tooLargeMessage = `${message}: a record or request is too large`,
): unknown {
  if (isRecordTooLarge(error)) return new RecordTooLargeError(tooLargeMessage, { cause: error });
  if (isTransient(error) || needsNewProducer(error)) return new ProduceError(message, { cause: error });
  return error;
}
