/**
 * kafkajs, as the transport uses it: every value the transport (or a test) takes from kafkajs comes
 * from here, so that the fix of its read_committed filter is installed before kafkajs loads.
 * Types may come from 'kafkajs' itself.
 */
import './kafkajs-fix';

export {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  Kafka,
  logLevel,
  Partitioners,
  ResourcePatternTypes,
} from 'kafkajs';
