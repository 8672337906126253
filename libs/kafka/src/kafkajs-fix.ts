import { installAbortedRecordsFilter } from './aborted-records';
import { installNumberOffsetBatch } from './fetched-batch';
import { installKeyFirstPartitioner } from './key-partitioner';
import { installFastMurmur2 } from './murmur2';
import { installLinearPartitionGrouping } from './partition-grouping';
import { installUnfilledEncoder } from './protocol-encoder';
import { installInPlaceRecordBatchDecoder } from './record-batch-decoding';
import { installNumberRecordDecoder } from './record-decoding';
import { installSingleBufferRecordBatch } from './record-batch-encoding';
import { installPooledRecordEncoder } from './record-encoding';
import { installThrottleCheckFix } from './throttle-check';

// Before kafkajs loads: its read_committed filter hands some aborted records on (aborted-records.ts);
// its producer hashes keys with BigInt-backed 64-bit arithmetic (murmur2.ts), lists a topic's
// partitions with a leader for every message, keyed or not (key-partitioner.ts), groups a request's
// messages by partition in quadratic time (partition-grouping.ts) and gives every record a
// zero-filled buffer of its own (record-encoding.ts), and every protocol encoder starts with and
// doubles into zero-filled buffers and writes each varint through an array and a Buffer of its own
// (protocol-encoder.ts, first: every protocol module binds the Encoder); its consumer computes each
// fetched record's offset and timestamp with BigInt-backed Longs (record-decoding.ts) after cutting
// its bytes out into a Buffer and a Decoder of their own (record-batch-decoding.ts), and compares
// each with the fetched offset through two more (fetched-batch.ts); and a record
// batch is copied three times and checksummed a byte at a time (record-batch-encoding.ts). Each
// replacement computes what kafkajs's does.
installUnfilledEncoder();
installAbortedRecordsFilter();
installNumberOffsetBatch();
installFastMurmur2();
installKeyFirstPartitioner();
installLinearPartitionGrouping();
installPooledRecordEncoder();
installSingleBufferRecordBatch();
installNumberRecordDecoder();
installInPlaceRecordBatchDecoder();
// And its request queue schedules a negative delay when not throttled (throttle-check.ts).
installThrottleCheckFix();
