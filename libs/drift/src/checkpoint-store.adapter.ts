import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DriftDetectorSnapshot } from './drift-detector';

/** The drift monitor's durable state: the detector and the next offset of every input partition it reflects. */
export interface DriftCheckpoint {
  readonly format: 1;
  readonly detector: DriftDetectorSnapshot;
  /** `<topic>:<partition>` -> next offset to process. */
  readonly offsets: Readonly<Record<string, string>>;
}

export interface DriftCheckpointStore {
  load(): Promise<DriftCheckpoint | null>;
  save(checkpoint: DriftCheckpoint): Promise<void>;
}

export class CheckpointError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

/**
 * A JSON file under var/ (the embedded default). Writes go to a temporary file renamed over the
 * old one, so a crash mid-write leaves the previous checkpoint intact.
 */
export class FileCheckpointStore implements DriftCheckpointStore {
  constructor(readonly path: string) {}

  async load(): Promise<DriftCheckpoint | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (error && typeof error === 'object' && 'code' in error && error.code === 'ENOENT') return null;
      throw new CheckpointError(`cannot read checkpoint ${this.path}`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as DriftCheckpoint;
      if (parsed.format !== 1 || parsed.detector?.format !== 1) throw new Error('unknown checkpoint format');
      return parsed;
    } catch (error) {
      throw new CheckpointError(`checkpoint ${this.path} is corrupt`, { cause: error });
    }
  }

  async save(checkpoint: DriftCheckpoint): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const staging = `${this.path}.${process.pid}.tmp`;
    await writeFile(staging, JSON.stringify(checkpoint));
    await rename(staging, this.path);
  }
}

/** Keeps the checkpoint in memory (unit tests). */
export class MemoryCheckpointStore implements DriftCheckpointStore {
  private text: string | null = null;

  load(): Promise<DriftCheckpoint | null> {
    return Promise.resolve(this.text === null ? null : (JSON.parse(this.text) as DriftCheckpoint));
  }

  save(checkpoint: DriftCheckpoint): Promise<void> {
    this.text = JSON.stringify(checkpoint);
    return Promise.resolve();
  }
}
