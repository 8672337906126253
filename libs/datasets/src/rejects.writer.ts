import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RejectedRow } from './dataset.types';

/**
 * The rejects file: one JSON object a line, `{"file","line","reason","row"}`, so every refused row
 * can be found in its file, fixed and imported again. Opened on the first reject only.
 */
export class RejectsWriter {
  private fd: number | null = null;
  private pending: string[] = [];
  count = 0;

  constructor(readonly path: string) {}

  add(reject: RejectedRow): void {
    this.count++;
    const row = Object.fromEntries(
      Object.entries(reject.row).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
    );
    this.pending.push(JSON.stringify({ file: reject.file, line: reject.line, reason: reject.reason, row }));
    if (this.pending.length >= 1000) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    if (this.fd === null) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'w');
    }
    writeSync(this.fd, `${this.pending.join('\n')}\n`);
    this.pending = [];
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
