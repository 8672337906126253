import { installAbortedRecordsFilter } from './aborted-records';
import { installFastMurmur2 } from './murmur2';
import { installLinearPartitionGrouping } from './partition-grouping';
import { installPooledRecordEncoder } from './record-encoding';

// Before kafkajs loads: its read_committed filter hands some aborted records on (aborted-records.ts);
// its producer hashes keys with BigInt-backed 64-bit arithmetic (murmur2.ts), groups a request's
// messages by partition in quadratic time (partition-grouping.ts) and gives every record a
// zero-filled buffer of its own (record-encoding.ts). Each replacement computes what kafkajs's does.
installAbortedRecordsFilter();
installFastMurmur2();
installLinearPartitionGrouping();
installPooledRecordEncoder();
