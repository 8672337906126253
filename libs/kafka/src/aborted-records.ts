import { replaceKafkajsModule } from './kafkajs-module';

/** A fetched record as kafkajs decodes it: only what the read_committed filter reads. */
export interface FetchedRecord {
  readonly offset: string;
  readonly key?: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}

/** An aborted transaction the broker lists in a fetch response (read_committed). */
export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

/** The key of an ABORT control record: version 0, type 0 (a COMMIT marker's type is 1). */
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

function isAbortMarker(record: FetchedRecord): boolean {
  return (
    record.isControlRecord === true && record.key != null && Buffer.from(record.key).equals(ABORT_MARKER_KEY)
  );
}

/**
 * The records of a read_committed fetch without those of aborted transactions, as the Java consumer
 * filters them: before each record, every aborted transaction that begins at or before it is opened
 * for its producer, and the producer's ABORT marker closes it. Control records are kept (kafkajs
 * drops them afterwards).
 *
 * kafkajs 2.2.4's own filter opens one listed transaction per record, whichever producer it belongs
 * to, so when a fetch begins inside two overlapping aborted transactions (several transactional
 * producers writing one partition, as the scorers do, all aborting at a broker restart) the second
 * one's records are handed to the application as if committed. It also takes any record whose key
 * is four zero bytes for an abort marker.
 */
export function withoutAbortedRecords<R extends FetchedRecord>(
  records: readonly R[],
  aborted: readonly AbortedTransaction[] | null | undefined,
): R[] {
  if (!aborted || aborted.length === 0) return [...records];
  const pending = [...aborted].sort((a, b) => compareOffsets(a.firstOffset, b.firstOffset));
  const open = new Set<string>();
  let next = 0;
  return records.filter((record) => {
    for (; next < pending.length; next++) {
      const txn = pending[next];
      if (!txn || compareOffsets(txn.firstOffset, record.offset) > 0) break;
      open.add(txn.producerId);
    }
    const { producerId, inTransaction } = record.batchContext;
    if (isAbortMarker(record)) {
      open.delete(producerId);
      return true;
    }
    return !(inTransaction && open.has(producerId));
  });
}

function compareOffsets(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Marks the filter this module installs, so that a second evaluation of the module recognises it. */
const INSTALLED = Symbol.for('fraudstream.kafka.withoutAbortedRecords');

/**
 * Puts {@link withoutAbortedRecords} in place of kafkajs's own filter of aborted records. It must run
 * before kafkajs's consumer is loaded (kafkajs binds the filter when its batch module loads): the
 * transport's `kafkajs` module calls it before it imports kafkajs, and every value the transport
 * takes from kafkajs comes through that module (a lint rule keeps it so). Throws when kafkajs was
 * loaded without it, rather than hand aborted records to read_committed readers.
 */
export function installAbortedRecordsFilter(): void {
  const filter = ({
    messages,
    abortedTransactions,
  }: {
    messages: FetchedRecord[];
    abortedTransactions?: AbortedTransaction[];
  }): FetchedRecord[] => withoutAbortedRecords(messages, abortedTransactions);
  replaceKafkajsModule(
    'kafkajs/src/consumer/filterAbortedMessages',
    filter,
    INSTALLED,
    'kafkajs/src/consumer/batch',
  );
}
