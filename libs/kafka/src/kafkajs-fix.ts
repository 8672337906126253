import { installAbortedRecordsFilter } from './aborted-records';

// Before kafkajs loads: its read_committed filter hands some aborted records on (aborted-records.ts).
installAbortedRecordsFilter();
