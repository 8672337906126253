import { kafkajsModulePath, loadKafkajsModule, replaceKafkajsModule } from './kafkajs-module';

/** kafkajs's protocol Encoder, as far as its replacement touches it. */
export interface KafkajsProtocolEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): KafkajsProtocolEncoder;
  writeVarInt(value: number): KafkajsProtocolEncoder;
}

export interface KafkajsProtocolEncoderClass {
  new (initialSize?: number): KafkajsProtocolEncoder;
  nextPowerOfTwo(value: number): number;
  readonly prototype: KafkajsProtocolEncoder;
}

/** The bits of a 32-bit value above the low 7: a varint needs another byte while any is set. */
const HIGH_BITS = 0xffffff80;

/**
 * kafkajs 2.2.4's protocol Encoder (`protocol/encoder`), writing the same bytes with less work: every
 * encoder of a request (each record, the record batch, each partition, topic and the request
 * itself, each copying the one below it) starts with, and doubles into, a buffer that kafkajs
 * zero-fills although it only ever exposes the bytes it wrote (`buffer` is `buf[0, offset)`, and
 * every write fills its bytes in order); here they come unfilled, from Node's shared pool when small.
 * And a varint, which kafkajs builds as a JavaScript array and then a Buffer of its own (five
 * objects per record), is written in place. Every other method is kafkajs's own (the prototype's).
 */
export function unfilledEncoder(Original: KafkajsProtocolEncoderClass): KafkajsProtocolEncoderClass {
  // A constructor function rather than a subclass: a subclass must run kafkajs's constructor, which
  // allocates the zero-filled buffer this replaces.
  function Encoder(this: KafkajsProtocolEncoder, initialSize = 511): void {
    this.buf = Buffer.allocUnsafe(Original.nextPowerOfTwo(initialSize));
    this.offset = 0;
  }
  Object.setPrototypeOf(Encoder, Original); // the static helpers (sizeOfVarInt, ...)
  const prototype = Object.create(Original.prototype) as KafkajsProtocolEncoder;
  prototype.ensureAvailable = function ensureAvailable(this: KafkajsProtocolEncoder, length: number) {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Original.nextPowerOfTwo(this.offset + length));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  prototype.writeUVarInt = function writeUVarInt(this: KafkajsProtocolEncoder, value: number) {
    let bytes = 1;
    for (let rest = value; (rest & HIGH_BITS) !== 0; rest >>>= 7) bytes++;
    this.ensureAvailable(bytes);
    const buf = this.buf;
    let offset = this.offset;
    let rest = value;
    while ((rest & HIGH_BITS) !== 0) {
      buf[offset++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buf[offset++] = rest & 0x7f;
    this.offset = offset;
    return this;
  };
  Object.defineProperty(prototype, 'constructor', { value: Encoder, writable: true, configurable: true });
  Encoder.prototype = prototype;
  return Encoder as unknown as KafkajsProtocolEncoderClass;
}

const ENCODER_MODULE = 'kafkajs/src/protocol/encoder';
const INSTALLED = Symbol.for('fraudstream.kafka.unfilledEncoder');

/** kafkajs's own Encoder class (the one loaded from its file, before any replacement) and its path. */
export function kafkajsEncoderModule(): { Encoder: KafkajsProtocolEncoderClass; path: string } {
  return {
    Encoder: loadKafkajsModule<KafkajsProtocolEncoderClass>(ENCODER_MODULE),
    path: kafkajsModulePath(ENCODER_MODULE),
  };
}

/**
 * Puts {@link unfilledEncoder} in place of kafkajs's Encoder. It must run before any of kafkajs's
 * protocol modules loads (each binds the Encoder when it loads): first of the replacements that
 * libs/kafka's `kafkajs-fix.ts` installs.
 */
export function installUnfilledEncoder(): void {
  const { Encoder } = kafkajsEncoderModule();
  if ((Encoder as unknown as Record<symbol, unknown>)[INSTALLED]) return;
  replaceKafkajsModule(ENCODER_MODULE, unfilledEncoder(Encoder), INSTALLED, 'kafkajs/src/protocol/request');
}
