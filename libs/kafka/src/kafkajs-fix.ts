import { installAbortedRecordsFilter } from './aborted-records';
import { installLinearPartitionGrouping } from './partition-grouping';

// Before kafkajs loads: its read_committed filter hands some aborted records on (aborted-records.ts),
// and its producer groups a request's messages by partition in quadratic time (partition-grouping.ts).
installAbortedRecordsFilter();
installLinearPartitionGrouping();
