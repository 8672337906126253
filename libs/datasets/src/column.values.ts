/*
 * Parsing of one cell, whatever the file typed it as: CSV gives strings, NDJSON numbers, booleans
 * and strings, Parquet numbers, bigints (INT64) and Dates (timestamps). Each parser throws a
 * CellError naming the column; the import turns it into a rejected row.
 */

export class CellError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CellError';
  }
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

export function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A required cell as text (ids): numbers and bigints print as integers. */
export function textCell(row: Readonly<Record<string, unknown>>, column: string): string {
  const value = row[column];
  if (isMissing(value)) throw new CellError(`${column} is missing`);
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  throw new CellError(`${column} is not text: ${show(value)}`);
}

/** A required numeric cell. */
export function numberCell(row: Readonly<Record<string, unknown>>, column: string): number {
  const value = row[column];
  if (isMissing(value)) throw new CellError(`${column} is missing`);
  const n =
    typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw new CellError(`${column} is not a number: ${show(value)}`);
  return n;
}

/** A 0/1, true/false flag. */
export function flagCell(row: Readonly<Record<string, unknown>>, column: string): boolean {
  const value = row[column];
  if (isMissing(value)) throw new CellError(`${column} is missing`);
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (text === '1' || text === 'true') return true;
  if (text === '0' || text === 'false') return false;
  throw new CellError(`${column} is not 0/1 or true/false: ${show(value)}`);
}

const NAIVE_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

/**
 * A point in time as UTC epoch ms: a Date (Parquet timestamps), an integer (epoch ms), or text:
 * digits (epoch ms), an ISO 8601 time with its offset, or a naive `YYYY-MM-DD[ HH:MM[:SS[.fff]]]`
 * read as UTC (the handbook's TX_DATETIME, written by pandas without a zone).
 */
export function timeCell(row: Readonly<Record<string, unknown>>, column: string): number {
  const value = row[column];
  if (isMissing(value)) throw new CellError(`${column} is missing`);
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else if (typeof value === 'bigint') ms = Number(value);
  else if (typeof value === 'string') ms = parseTimeText(value.trim());
  else throw new CellError(`${column} is not a time: ${show(value)}`);
  if (!Number.isFinite(ms)) throw new CellError(`${column} is not a time: ${show(value)}`);
  return Math.round(ms);
}

function parseTimeText(text: string): number {
  if (/^-?\d+$/.test(text)) return Number(text);
  const naive = NAIVE_DATE_TIME.exec(text);
  if (naive) {
    const [, y, mo, d, h, mi, s, frac] = naive;
    const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
    const time = Date.UTC(
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h ?? 0),
      Number(mi ?? 0),
      Number(s ?? 0),
      ms,
    );
    // Date.UTC rolls 2018-02-31 over to March: refuse it instead.
    const check = new Date(time);
    if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return Number.NaN;
    return time;
  }
  // Only a full ISO 8601 time with its zone: Date.parse accepts much more, and reads it in local time.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text))
    return Date.parse(text);
  return Number.NaN;
}
