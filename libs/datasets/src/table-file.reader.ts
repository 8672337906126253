import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parseCsvRecord } from './csv-line.parser';
import { DatasetError } from './dataset.errors';
import type { TableRow } from './dataset.types';

/** The file kinds a table can be read from, told by the name's ending. */
export type TableFileKind = 'csv' | 'ndjson' | 'parquet';

export interface TableFile {
  readonly kind: TableFileKind;
  readonly gzip: boolean;
}

/** `.csv`, `.ndjson`/`.jsonl` (either optionally `.gz`), `.parquet`. */
export function tableFileKind(path: string): TableFile {
  const lower = path.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  if (base.endsWith('.csv')) return { kind: 'csv', gzip };
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl')) return { kind: 'ndjson', gzip };
  if (base.endsWith('.parquet') && !gzip) return { kind: 'parquet', gzip };
  throw new DatasetError(
    `${path}: unknown file type (expected .csv, .csv.gz, .ndjson, .ndjson.gz, .jsonl or .parquet)`,
  );
}

/** Reports how many bytes of the file on disk were consumed so far. */
export type BytesRead = (bytesRead: number, totalBytes: number) => void;

/** Rows of Parquet read at a time: bounds memory, and gives the progress bar something to show. */
const PARQUET_CHUNK_ROWS = 100_000;

/**
 * The rows of a table file, one object per row keyed by column name, in file order. CSV: the first
 * line is the header; values stay strings (the column mapping parses them); a quoted field may
 * span lines. NDJSON: one JSON object a line (a line that is not one is yielded as `{ __error }`
 * so the import rejects it with its line number instead of stopping). Parquet: through hyparquet,
 * values as the file types them (numbers, bigints for INT64, Date for timestamps).
 */
export async function* readTableFile(path: string, onBytes?: BytesRead): AsyncGenerator<TableRow> {
  const file = tableFileKind(path);
  if (file.kind === 'parquet') {
    yield* readParquet(path, onBytes);
    return;
  }
  const totalBytes = statSync(path).size;
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let bytesRead = 0;
  raw.on('data', (chunk) => {
    bytesRead += chunk.length;
  });
  const text: Readable = file.gzip ? raw.pipe(createGunzip()) : raw;
  if (file.gzip) raw.on('error', (error) => text.destroy(error));
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  let line = 0;
  let header: string[] | null = null;
  let pending: { text: string; line: number } | null = null;
  let reported = 0;
  try {
    for await (const current of lines) {
      line++;
      if (onBytes && bytesRead - reported >= 1 << 20) {
        reported = bytesRead;
        onBytes(bytesRead, totalBytes);
      }
      if (file.kind === 'ndjson') {
        if (current.trim() === '') continue;
        yield { line, values: parseJsonObject(current) };
        continue;
      }
      const record: { text: string; line: number } = pending
        ? { text: `${pending.text}\n${current}`, line: pending.line }
        : { text: current, line };
      const fields = parseCsvRecord(record.text);
      if (fields === null) {
        pending = record;
        continue;
      }
      pending = null;
      if (header === null) {
        header = fields.map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, '') : f).trim());
        continue;
      }
      if (fields.length === 1 && fields[0] === '') continue;
      const values: Record<string, unknown> = {};
      header.forEach((name, i) => {
        values[name] = fields[i];
      });
      if (fields.length !== header.length)
        values.__error = `has ${fields.length} fields, the header ${header.length}`;
      yield { line: record.line, values };
    }
    if (pending) yield { line: pending.line, values: { __error: 'a quoted field is never closed' } };
    if (header === null && file.kind === 'csv') throw new DatasetError(`${path}: no header line`);
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw new DatasetError(`${path}: cannot be read (line ${line})`, { cause: error });
  } finally {
    lines.close();
    raw.destroy();
  }
  onBytes?.(totalBytes, totalBytes);
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
    return { __error: 'is not a JSON object' };
  } catch (error) {
    return { __error: `is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** A Parquet file as hyparquet's AsyncBuffer: byte ranges read from disk on demand. */
async function fileBuffer(path: string): Promise<{ buffer: AsyncBuffer; close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    buffer: {
      byteLength: size,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const stop = end ?? size;
        const bytes = new Uint8Array(Math.max(0, stop - start));
        await handle.read(bytes, 0, bytes.length, start);
        return bytes.buffer;
      },
    },
    close: () => handle.close(),
  };
}

async function* readParquet(path: string, onBytes?: BytesRead): AsyncGenerator<TableRow> {
  let file: Awaited<ReturnType<typeof fileBuffer>>;
  try {
    file = await fileBuffer(path);
  } catch (error) {
    throw new DatasetError(`${path}: cannot be opened`, { cause: error });
  }
  try {
    let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
    try {
      metadata = await parquetMetadataAsync(file.buffer);
    } catch (error) {
      throw new DatasetError(`${path}: not a Parquet file`, { cause: error });
    }
    const rows = Number(metadata.num_rows);
    for (let start = 0; start < rows; start += PARQUET_CHUNK_ROWS) {
      const end = Math.min(rows, start + PARQUET_CHUNK_ROWS);
      const objects = await parquetReadObjects({
        file: file.buffer,
        metadata,
        rowStart: start,
        rowEnd: end,
        compressors,
      });
      for (let i = 0; i < objects.length; i++) yield { line: start + i + 1, values: objects[i] ?? {} };
      onBytes?.(Math.round((file.buffer.byteLength * end) / Math.max(rows, 1)), file.buffer.byteLength);
    }
  } finally {
    await file.close();
  }
}
