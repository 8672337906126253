import { COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { readAvroSchema, valueSubject, type Transaction } from '@fraudstream/contracts';
import { AvroProducer, AvroSerde, createIdempotentProducer, type Kafka } from '@fraudstream/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTopic, testClients, uniqueName } from '../support/kafka-env';
import { SAMPLE_RECORDS } from '../support/sample-records';
import { readTopic } from '../support/read-topic';

describe('Avro on the real broker and registry', () => {
  let kafka: Kafka;
  let serde: AvroSerde;

  beforeAll(() => {
    ({ kafka, serde } = testClients());
  });

  it('round-trips a transaction in the Confluent wire format (magic byte 0, 4-byte schema id)', async () => {
    const topic = await createTestTopic(kafka, serde, 'avro', 'tx.transactions.v1.avsc');
    const producer = new AvroProducer(createIdempotentProducer(kafka), serde);
    await producer.producer.connect();
    const sample: Transaction = SAMPLE_RECORDS['tx.transactions.v1'];
    await producer.sendMany([{ topic: topic.name, records: [{ key: sample.card_id, value: sample }] }]);
    await producer.producer.disconnect();

    const received = await readTopic(kafka, topic.name, 1, 30_000);

    const bytes = received[0]?.value;
    expect(bytes).toBeInstanceOf(Buffer);
    if (!bytes) return;
    expect(bytes.readUInt8(0)).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(await serde.valueSchemaId(topic.name));
    expect(received[0]?.key).toBe(sample.card_id);
    expect(await serde.decode<Transaction>(bytes)).toEqual(sample);
    // A fresh serde (cold cache) decodes the same bytes by fetching the schema by id.
    expect(await AvroSerde.connect(testClients().config.SCHEMA_REGISTRY_URL).decode(bytes)).toEqual(sample);
  });

  it('refuses a value that does not fit the schema instead of producing it', async () => {
    const topic = await createTestTopic(kafka, serde, 'avro-bad', 'tx.transactions.v1.avsc');
    await expect(
      serde.encode(topic.name, { ...SAMPLE_RECORDS['tx.transactions.v1'], amount: 'twelve' }),
    ).rejects.toThrow();
  });

  it('lets the registry refuse an incompatible schema change under BACKWARD compatibility', async () => {
    const subject = valueSubject(uniqueName('compat'));
    const v1 = readAvroSchema('tx.transactions.v1.avsc');
    const firstId = await serde.register(subject, v1, COMPATIBILITY.BACKWARD);

    // A new field without a default: new readers could not read old data.
    const fields = v1.fields as object[];
    const breaking = {
      ...v1,
      fields: [...fields, { name: 'merchant_country', type: 'string', doc: 'ISO country' }],
    };
    await expect(serde.register(subject, breaking, COMPATIBILITY.BACKWARD)).rejects.toThrow(
      /incompatible|409|compatib/i,
    );

    // The same field with a default is a backward-compatible evolution and is accepted.
    const compatible = {
      ...v1,
      fields: [...fields, { name: 'merchant_country', type: 'string', default: 'NL', doc: 'ISO country' }],
    };
    const secondId = await serde.register(subject, compatible, COMPATIBILITY.BACKWARD);
    expect(secondId).not.toBe(firstId);
  });

  afterAll(() => undefined);
});
