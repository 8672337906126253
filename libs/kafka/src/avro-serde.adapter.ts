import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { valueSubject } from '@fraudstream/contracts';
import { PoisonMessageError, RetriableError } from '@fraudstream/contracts';

const MAGIC_BYTE = 0;
/** Magic byte and 4-byte schema id before the Avro body. */
const HEADER_BYTES = 5;

/**
 * What the serde needs of a schema the registry client compiled for an Avro id (an avsc `Type`):
 * the registry's own encode and decode call these same methods.
 */
interface AvroType {
  fromBuffer(buffer: Buffer): unknown;
  /** Writes `value` at `position`; returns the end position, or a negative number when `buffer` is too short. */
  encode(value: unknown, buffer: Buffer, position: number): number;
}

function isAvroType(schema: unknown): schema is AvroType {
  const s = schema as Partial<AvroType> | null;
  return typeof s?.fromBuffer === 'function' && typeof s.encode === 'function';
}

/** The registry client's methods the serde uses (a fake stands in for it in unit tests). */
export type SchemaRegistryClient = Pick<
  SchemaRegistry,
  'register' | 'getLatestSchemaId' | 'getSchema' | 'encode'
>;

/** Returned by decodeCached when the value's schema has not been fetched yet. */
export const SCHEMA_NOT_CACHED: unique symbol = Symbol('schema not cached');

function httpStatus(error: unknown): number | undefined {
  if (error && typeof error === 'object' && 'status' in error && typeof error.status === 'number') {
    return error.status;
  }
  return undefined;
}

/** The schema id of a Confluent-framed value; PoisonMessageError when the framing is wrong. */
function framedSchemaId(bytes: Buffer | null): number {
  if (!bytes || bytes.length < HEADER_BYTES) {
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
  return bytes.readInt32BE(1);
}

function decodeBody<T>(type: AvroType, schemaId: number, bytes: Buffer): T {
  try {
    return type.fromBuffer(bytes.subarray(HEADER_BYTES)) as T;
  } catch (error) {
    throw new PoisonMessageError('decode', `Avro body does not decode with schema id ${schemaId}`, {
      cause: error,
    });
  }
}

/**
 * Avro values in the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro body),
 * against a Confluent-API schema registry. Schemas are fetched once per id and cached; the
 * per-message `readerSchema` option is never used (it rebuilds the resolver on every call).
 *
 * Once an id's schema is fetched, its compiled avsc type is kept here and values are encoded and
 * decoded with it synchronously: the registry client's own path costs a promise, a cache lookup, a
 * framing object with three buffer views per decoded value, and three buffers and two copies per
 * encoded one (the body, the id, their concatenation), which the scorer pays per transaction.
 */
export class AvroSerde {
  private readonly subjectIds = new Map<string, Promise<number>>();
  /**
   * One fetch per schema id, shared by concurrent callers: the registry client caches a schema only
   * once its first fetch completes, so a first batch of thousands of records would otherwise fetch
   * and compile the same schema once per record.
   */
  private readonly schemaFetches = new Map<number, Promise<unknown>>();
  /** The compiled type of every id fetched, for the synchronous paths. */
  private readonly types = new Map<number, AvroType>();
  /** Bytes per encoded value to reserve (the largest mean seen, with a margin), sizing encodeAll's buffers. */
  private encodedSize = 256;

  constructor(private readonly registry: SchemaRegistryClient) {}

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
    return this.encodeWithId(await this.valueSchemaId(topic), value);
  }

  /** Encodes with a known schema id (hot paths resolve the id once). */
  async encodeWithId(schemaId: number, value: unknown): Promise<Buffer> {
    const [encoded] = await this.encodeAll(schemaId, [value]);
    if (!encoded) throw new Error(`no value encoded with schema id ${schemaId}`);
    return encoded;
  }

  /**
   * Encodes values with one schema id, each a view into one buffer shared by the call (the producer
   * copies them into its request). Rejects as the registry client does for a value that does not
   * fit the schema (its error names the invalid fields).
   */
  async encodeAll(schemaId: number, values: readonly unknown[]): Promise<Buffer[]> {
    const type = this.types.get(schemaId) ?? (await this.typeOf(schemaId));
    if (type) {
      try {
        return this.encodeWith(type, schemaId, values);
      } catch {
        // Falls through to the registry client, which throws its own error for the invalid value.
      }
    }
    return Promise.all(values.map((v) => this.registry.encode(schemaId, v)));
  }

  private encodeWith(type: AvroType, schemaId: number, values: readonly unknown[]): Buffer[] {
    const out = new Array<Buffer>(values.length);
    let slab = Buffer.allocUnsafe(values.length * this.encodedSize);
    let position = 0;
    for (let i = 0; i < values.length; i++) {
      let end =
        position + HEADER_BYTES <= slab.length ? type.encode(values[i], slab, position + HEADER_BYTES) : -1;
      if (end < 0) {
        // The rest does not fit: a new buffer for it, sized on the mean so far, and on this value
        // alone when even that is too short (avsc returns minus the bytes it lacked).
        if (i > 0) this.encodedSize = Math.max(this.encodedSize, Math.ceil((position / i) * 1.25));
        const rest = (values.length - i - 1) * this.encodedSize;
        let own = HEADER_BYTES + this.encodedSize;
        for (;;) {
          slab = Buffer.allocUnsafe(own + rest);
          end = type.encode(values[i], slab, HEADER_BYTES);
          if (end >= 0) break;
          own = slab.length - end;
        }
        position = 0;
      }
      slab.writeUInt8(MAGIC_BYTE, position);
      slab.writeInt32BE(schemaId, position + 1);
      out[i] = slab.subarray(position, end);
      position = end;
    }
    return out;
  }

  private schemaById(schemaId: number): Promise<unknown> {
    let fetch = this.schemaFetches.get(schemaId);
    if (!fetch) {
      fetch = this.registry.getSchema(schemaId);
      this.schemaFetches.set(schemaId, fetch);
      fetch.then(
        (schema) => {
          if (isAvroType(schema)) this.types.set(schemaId, schema);
        },
        () => this.schemaFetches.delete(schemaId),
      );
    }
    return fetch;
  }

  private async typeOf(schemaId: number): Promise<AvroType | undefined> {
    const schema = await this.schemaById(schemaId);
    return isAvroType(schema) ? schema : undefined;
  }

  /**
   * Decodes a Confluent-framed Avro value. Bytes that can never decode (no magic byte, truncated,
   * an id the registry does not know) throw PoisonMessageError; an unreachable registry throws
   * RetriableError, so the consumer retries instead of dead-lettering good data.
   */
  async decode<T>(bytes: Buffer | null): Promise<T> {
    const schemaId = framedSchemaId(bytes);
    const type = this.types.get(schemaId) ?? (await this.fetchForDecode(schemaId));
    return decodeBody<T>(type, schemaId, bytes as Buffer);
  }

  /**
   * decode() without a promise, for a value whose schema id was fetched before (the hot path: every
   * value of a topic but the first); SCHEMA_NOT_CACHED when it was not (then call decode()). Throws
   * PoisonMessageError as decode() does.
   */
  decodeCached<T>(bytes: Buffer | null): T | typeof SCHEMA_NOT_CACHED {
    const schemaId = framedSchemaId(bytes);
    const type = this.types.get(schemaId);
    return type ? decodeBody<T>(type, schemaId, bytes as Buffer) : SCHEMA_NOT_CACHED;
  }

  private async fetchForDecode(schemaId: number): Promise<AvroType> {
    let schema: unknown;
    try {
      schema = await this.schemaById(schemaId);
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
    if (!isAvroType(schema)) {
      throw new PoisonMessageError('decode', `schema id ${schemaId} is not an Avro schema`);
    }
    return schema;
  }

  /** The schema id a Confluent-framed value names, or null when the framing is wrong. */
  static schemaIdOf(bytes: Buffer): number | null {
    if (bytes.length < HEADER_BYTES || bytes.readUInt8(0) !== MAGIC_BYTE) return null;
    return bytes.readInt32BE(1);
  }
}
