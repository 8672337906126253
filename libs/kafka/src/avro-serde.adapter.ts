import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { valueSubject } from '@fraudstream/contracts';
import { PoisonMessageError, RetriableError } from '@fraudstream/contracts';

const MAGIC_BYTE = 0;

function httpStatus(error: unknown): number | undefined {
  if (error && typeof error === 'object' && 'status' in error && typeof error.status === 'number') {
    return error.status;
  }
  return undefined;
}

/**
 * Avro values in the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro body),
 * against a Confluent-API schema registry. Schemas are fetched once per id and cached; the
 * per-message `readerSchema` option is never used (it rebuilds the resolver on every call).
 */
export class AvroSerde {
  private readonly subjectIds = new Map<string, Promise<number>>();
  /**
   * One fetch per schema id, shared by concurrent callers: the registry client caches a schema only
   * once its first fetch completes, so a first batch of thousands of records would otherwise fetch
   * and compile the same schema once per record.
   */
  private readonly schemaFetches = new Map<number, Promise<unknown>>();

  constructor(private readonly registry: SchemaRegistry) {}

  static connect(url: string): AvroSerde {
    return new AvroSerde(new SchemaRegistry({ host: url, retry: { retries: 3, maxRetryTimeInSecs: 2 } }));
  }

  /** Registers `schema` under `subject` with the given compatibility (BACKWARD by default); returns its id. */
  async register(subject: string, schema: object, compatibility = COMPATIBILITY.BACKWARD): Promise<number> {
    const { id } = await this.registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject, compatibility },
    );
    this.subjectIds.set(subject, Promise.resolve(id));
    return id;
  }

  /** The id of the latest schema of a topic's value subject, looked up once and cached. */
  async valueSchemaId(topic: string): Promise<number> {
    const subject = valueSubject(topic);
    let id = this.subjectIds.get(subject);
    if (!id) {
      id = this.registry.getLatestSchemaId(subject);
      this.subjectIds.set(subject, id);
      id.catch(() => this.subjectIds.delete(subject));
    }
    return id;
  }

  /** Encodes a value for `topic` with its latest registered value schema. Throws when the value does not fit it. */
  async encode(topic: string, value: unknown): Promise<Buffer> {
    const id = await this.valueSchemaId(topic);
    return this.registry.encode(id, value);
  }

  /** Encodes with a known schema id (hot paths resolve the id once). */
  async encodeWithId(schemaId: number, value: unknown): Promise<Buffer> {
    await this.schemaById(schemaId);
    return this.registry.encode(schemaId, value);
  }

  private schemaById(schemaId: number): Promise<unknown> {
    let fetch = this.schemaFetches.get(schemaId);
    if (!fetch) {
      fetch = this.registry.getSchema(schemaId);
      this.schemaFetches.set(schemaId, fetch);
      fetch.catch(() => this.schemaFetches.delete(schemaId));
    }
    return fetch;
  }

  /**
   * Decodes a Confluent-framed Avro value. Bytes that can never decode (no magic byte, truncated,
   * an id the registry does not know) throw PoisonMessageError; an unreachable registry throws
   * RetriableError, so the consumer retries instead of dead-lettering good data.
   */
  async decode<T>(bytes: Buffer | null): Promise<T> {
    if (!bytes || bytes.length < 5) {
      throw new PoisonMessageError(
        'decode',
        `value of ${bytes?.length ?? 0} bytes is too short for the Confluent wire format`,
      );
    }
    if (bytes.readUInt8(0) !== MAGIC_BYTE) {
      throw new PoisonMessageError(
        'decode',
        `value does not start with the Confluent magic byte 0 (got ${bytes.readUInt8(0)})`,
      );
    }
    const schemaId = bytes.readInt32BE(1);
    try {
      await this.schemaById(schemaId);
    } catch (error) {
      // Only "not found" means the id can never resolve; the client reports a refused connection as
      // a 400, so every other failure is treated as the registry being unreachable.
      const status = httpStatus(error);
      if (status === 404) {
        throw new PoisonMessageError(
          'unknown-schema',
          `schema id ${schemaId} is unknown to the registry (HTTP ${status})`,
          {
            cause: error,
          },
        );
      }
      throw new RetriableError(`schema registry unreachable while fetching schema id ${schemaId}`, {
        cause: error,
      });
    }
    try {
      return (await this.registry.decode(bytes)) as T;
    } catch (error) {
      throw new PoisonMessageError('decode', `Avro body does not decode with schema id ${schemaId}`, {
        cause: error,
      });
    }
  }

  /** The schema id a Confluent-framed value names, or null when the framing is wrong. */
  static schemaIdOf(bytes: Buffer): number | null {
    if (bytes.length < 5 || bytes.readUInt8(0) !== MAGIC_BYTE) return null;
    return bytes.readInt32BE(1);
  }
}
