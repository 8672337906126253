import * as avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroSerde, SCHEMA_NOT_CACHED, type SchemaRegistryClient } from './avro-serde.adapter';
import { PoisonMessageError, RetriableError } from '@fraudstream/contracts';

// Port 9 (discard) on loopback: nothing listens, so every registry call fails to connect.
const unreachable = () => AvroSerde.connect('http://127.0.0.1:9/apis/ccompat/v7');

function framed(schemaId: number, body: number[]): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(0, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, Buffer.from(body)]);
}

describe(AvroSerde.name, () => {
  it('reads the schema id from the Confluent frame (magic byte 0, 4-byte big-endian id)', () => {
    expect(AvroSerde.schemaIdOf(framed(258, [2]))).toBe(258);
    expect(AvroSerde.schemaIdOf(Buffer.from([1, 0, 0, 1, 2]))).toBeNull();
    expect(AvroSerde.schemaIdOf(Buffer.from([0, 0]))).toBeNull();
  });

  it('treats bytes without the magic byte as poison, without asking the registry', async () => {
    const error = await unreachable()
      .decode(Buffer.from('{"json":"not avro"}'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect((error as PoisonMessageError).kind).toBe('decode');
    expect((error as Error).message).toMatch(/magic byte/);
  });

  it('treats empty and truncated values as poison', async () => {
    await expect(unreachable().decode(null)).rejects.toBeInstanceOf(PoisonMessageError);
    await expect(unreachable().decode(Buffer.from([0, 0, 1]))).rejects.toThrow(/too short/);
  });

  it('treats an unreachable registry as retriable, never as a poison message', async () => {
    const error = await unreachable()
      .decode(framed(1, [2, 4]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriableError);
    expect(error).not.toBeInstanceOf(PoisonMessageError);
  });
});

/** The registry client's part the serde uses, over avsc types compiled here (ids 7 and 8). */
class FakeRegistry implements SchemaRegistryClient {
  readonly types = new Map<number, avro.Type>([
    [
      7,
      avro.Type.forSchema({
        type: 'record',
        name: 'Score',
        fields: [
          { name: 'id', type: 'string' },
          { name: 'score', type: 'double' },
          { name: 'features', type: { type: 'array', items: 'double' } },
        ],
      }),
    ],
  ]);
  fetches = 0;

  register(): never {
    throw new Error('not used');
  }

  getLatestSchemaId(): Promise<number> {
    return Promise.resolve(7);
  }

  getSchema(id: number): ReturnType<SchemaRegistryClient['getSchema']> {
    this.fetches++;
    const type = this.types.get(id);
    if (!type) return Promise.reject(Object.assign(new Error('not found'), { status: 404 }));
    return Promise.resolve(type as unknown as Awaited<ReturnType<SchemaRegistryClient['getSchema']>>);
  }

  encode(id: number, value: unknown): Promise<Buffer> {
    // The client's own error for a value that does not fit.
    const type = this.types.get(id);
    if (!type?.isValid(value)) return Promise.reject(new Error(`invalid payload for ${id}`));
    return Promise.resolve(framed(id, [...type.toBuffer(value)]));
  }
}

interface ScoreValue {
  readonly id: string;
  readonly score: number;
  readonly features: number[];
}

function score(i: number, idLength = 8): ScoreValue {
  return { id: `x${i}`.padEnd(idLength, '-'), score: i / 7, features: [i, -i, 0.5, 1e-9] };
}

describe(`${AvroSerde.name} with the schema cached`, () => {
  it('encodes every value in the Confluent frame: magic byte 0, the id big-endian, the Avro body', async () => {
    const registry = new FakeRegistry();
    const type = registry.types.get(7) as avro.Type;
    // Sizes from a few bytes to 40 KiB, so that values outgrow the buffer sized for the batch.
    const values = Array.from({ length: 300 }, (_, i) => score(i, i % 50 === 49 ? 40_000 : 1 + (i % 90)));
    const encoded = await new AvroSerde(registry).encodeAll(7, values);
    expect(encoded).toHaveLength(values.length);
    encoded.forEach((bytes, i) => {
      expect(bytes.equals(Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), type.toBuffer(values[i])]))).toBe(
        true,
      );
    });
  });

  it('decodes what it encodes, fetching the schema once', async () => {
    const registry = new FakeRegistry();
    const serde = new AvroSerde(registry);
    const values = [score(1), score(2, 3000), score(3)];
    const encoded = await serde.encodeAll(7, values);
    const decoded: ScoreValue[] = [];
    for (const bytes of encoded) decoded.push({ ...(await serde.decode<ScoreValue>(bytes)) });
    expect(decoded).toEqual(values);
    expect(registry.fetches).toBe(1);
  });

  it('decodes without a promise once the id was fetched, and says when it was not', async () => {
    const registry = new FakeRegistry();
    const bytes = await new AvroSerde(registry).encodeWithId(7, score(5));
    const serde = new AvroSerde(registry);
    expect(serde.decodeCached(bytes)).toBe(SCHEMA_NOT_CACHED);
    await serde.decode(bytes);
    expect({ ...(serde.decodeCached<ScoreValue>(bytes) as ScoreValue) }).toEqual(score(5));
  });

  it('treats a body that does not decode with its schema as poison, cached or not', async () => {
    const registry = new FakeRegistry();
    const serde = new AvroSerde(registry);
    const bytes = await serde.encodeWithId(7, score(5));
    const trailing = Buffer.concat([bytes, Buffer.from([1])]);
    await expect(new AvroSerde(registry).decode(trailing)).rejects.toThrow(
      /does not decode with schema id 7/,
    );
    expect(() => serde.decodeCached(trailing)).toThrow(PoisonMessageError);
    expect(() => serde.decodeCached(bytes.subarray(0, bytes.length - 3))).toThrow(/does not decode/);
    expect(() => serde.decodeCached(Buffer.from([1, 0, 0, 0, 7, 2]))).toThrow(/magic byte/);
  });

  it('treats an id the registry does not know as poison (unknown-schema)', async () => {
    const error = await new AvroSerde(new FakeRegistry()).decode(framed(99, [2])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect((error as PoisonMessageError).kind).toBe('unknown-schema');
  });

  it("rejects a value that does not fit the schema with the registry client's error", async () => {
    const serde = new AvroSerde(new FakeRegistry());
    await expect(serde.encodeAll(7, [score(1), { id: 3, score: 'high', features: [] }])).rejects.toThrow(
      'invalid payload for 7',
    );
  });
});
