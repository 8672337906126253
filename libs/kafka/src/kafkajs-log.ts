import { Logger } from '@nestjs/common';
import type { LogEntry } from 'kafkajs';
import { logLevel } from './kafkajs';
import { loadKafkajsModule } from './kafkajs-module';

const kafkaJsLogger = new Logger('kafkajs');

interface ProtocolError {
  readonly type: string;
  readonly message: string;
}

/**
 * CONCURRENT_TRANSACTIONS is the broker saying that the previous transaction is still being
 * completed: a transactional producer meets it after most commits, and kafkajs retries it. Its
 * connection logs every such response, and its producer every such retried send, as an error (tens
 * to hundreds a minute under load); the retry's final failure, if any, still reaches the caller as a
 * thrown error.
 */
const concurrentTransactions = loadKafkajsModule<{ errorCodes: readonly ProtocolError[] }>(
  'kafkajs/src/protocol/error',
).errorCodes.find((e) => e.type === 'CONCURRENT_TRANSACTIONS')?.message;

/** The level a kafkajs log entry is written at: kafkajs's own, but debug for the broker's retried answer above. */
export function kafkajsLogLevel(entry: Pick<LogEntry, 'level' | 'log'>): 'error' | 'warn' | 'debug' {
  if (entry.level === logLevel.ERROR) {
    const { message, error } = entry.log as { message: string; error?: unknown };
    const retried =
      concurrentTransactions !== undefined &&
      ((message.startsWith('Response ') && error === concurrentTransactions) ||
        message === `Failed to send messages: ${concurrentTransactions}`);
    return retried ? 'debug' : 'error';
  }
  return entry.level === logLevel.WARN ? 'warn' : 'debug';
}

/** kafkajs's logs through the Nest logger, as structured entries. */
export function logCreator() {
  return (entry: LogEntry) => {
    const { message, ...fields } = entry.log;
    const level = kafkajsLogLevel(entry);
    if (level === 'error') kafkaJsLogger.error({ msg: message, ...fields });
    else if (level === 'warn') kafkaJsLogger.warn({ msg: message, ...fields });
    else kafkaJsLogger.debug?.({ msg: message, ...fields });
  };
}
