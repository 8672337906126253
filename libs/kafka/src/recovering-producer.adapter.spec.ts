import { EventEmitter } from 'node:events';
import type { Producer as KafkaJsProducer, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { RecoveringProducer } from './recovering-producer.adapter';
import { ProduceError, RecordTooLargeError } from './transport.errors';

const events = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' };

/** A kafkajs producer stand-in that fails its sends with the queued errors. */
function fakeProducer(failures: Error[], log: string[], id: number): KafkaJsProducer {
  const emitter = new EventEmitter();
  return {
    events,
    on: (event: string, listener: () => void) => emitter.on(event, listener),
    connect: async () => {
      log.push(`connect ${id}`);
      emitter.emit(events.CONNECT);
    },
    disconnect: async () => {
      log.push(`disconnect ${id}`);
      emitter.emit(events.DISCONNECT);
    },
    sendBatch: async (): Promise<RecordMetadata[]> => {
      log.push(`send ${id}`);
      const failure = failures.shift();
      if (failure) throw failure;
      return [];
    },
  } as unknown as KafkaJsProducer;
}

const protocolError = (type: string, retriable: boolean) =>
  Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable });

describe(RecoveringProducer.name, () => {
  it('re-creates the producer after OUT_OF_ORDER_SEQUENCE_NUMBER and reports the failure as retriable', async () => {
    const log: string[] = [];
    const failures: Error[] = [protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER', false)];
    let created = 0;
    const producer = new RecoveringProducer(() => fakeProducer(failures, log, ++created));
    await producer.connect();
    await expect(producer.sendBatch({ topicMessages: [] })).rejects.toBeInstanceOf(ProduceError);
    await producer.sendBatch({ topicMessages: [] });
    expect(log).toEqual(['connect 1', 'send 1', 'disconnect 1', 'connect 2', 'send 2']);
    expect(producer.generations).toBe(2);
    expect(producer.connected).toBe(true);
  });

  it('re-creates it after three failed sends in a row, whatever the error', async () => {
    const log: string[] = [];
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const failures: Error[] = [refused, refused, refused];
    let created = 0;
    const producer = new RecoveringProducer(() => fakeProducer(failures, log, ++created));
    await producer.connect();
    for (let i = 0; i < 3; i++)
      await expect(producer.sendBatch({ topicMessages: [] })).rejects.toBeInstanceOf(ProduceError);
    await producer.sendBatch({ topicMessages: [] });
    expect(producer.generations).toBe(2);
  });

  it('reports a size refusal as the records fault, without re-creating', async () => {
    const log: string[] = [];
    const producer = new RecoveringProducer(() =>
      fakeProducer([protocolError('MESSAGE_TOO_LARGE', false)], log, 1),
    );
    await producer.connect();
    await expect(producer.sendBatch({ topicMessages: [] })).rejects.toBeInstanceOf(RecordTooLargeError);
    await producer.sendBatch({ topicMessages: [] });
    expect(producer.generations).toBe(1);
  });
});
