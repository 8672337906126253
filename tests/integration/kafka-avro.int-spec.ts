import { COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { Type, type Schema } from 'avsc';
import {
  readAvroSchema,
  validateScore,
  validateTransaction,
  valueSubject,
  type Transaction,
} from '@fraudstream/contracts';
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

  it('accepts the segment fields (nullable, default null) over the schemas without them, and an older record still reads and validates', async () => {
    for (const [file, validate] of [
      ['tx.transactions.v1.avsc', validateTransaction],
      ['tx.scores.v1.avsc', validateScore],
    ] as const) {
      const subject = valueSubject(uniqueName('segments'));
      const current = readAvroSchema(file);
      const fields = current.fields as { name: string }[];
      const before = {
        ...current,
        fields: fields.filter((f) => f.name !== 'age_band' && f.name !== 'region'),
      };
      expect(before.fields).toHaveLength(fields.length - 2);
      const beforeId = await serde.register(subject, before, COMPATIBILITY.BACKWARD);
      const currentId = await serde.register(subject, current, COMPATIBILITY.BACKWARD);
      expect(currentId).not.toBe(beforeId);

      // A record written before the fields existed: framed with the older schema's id, decoded by
      // its writer schema, it has no segments, and every consumer's validator accepts it.
      const sample =
        SAMPLE_RECORDS[file === 'tx.transactions.v1.avsc' ? 'tx.transactions.v1' : 'tx.scores.v1'];
      const { age_band: _a, region: _r, ...older } = sample;
      const payload = Type.forSchema(before as Schema).toBuffer(older);
      const framed = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), payload]);
      framed.writeInt32BE(beforeId, 1);
      const decoded = await serde.decode<Record<string, unknown>>(framed);
      expect(decoded).toEqual(older);
      expect(validate(decoded)).toEqual(older);
    }
  });

  afterAll(() => undefined);
});
