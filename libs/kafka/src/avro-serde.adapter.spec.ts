import { describe, expect, it } from 'vitest';
import { AvroSerde } from './avro-serde.adapter';
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
