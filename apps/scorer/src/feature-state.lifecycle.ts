import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import type { FeaturePipeline } from '@fraudstream/features';
import type { HealthRegistry } from '@fraudstream/observability';

/**
 * Writes the in-memory pipeline's state where the scorers restore it from (at shutdown, and after a
 * rebuild); its size in bytes. Write then rename: a crash mid-write never leaves a torn snapshot.
 */
export async function saveFeatureSnapshot(pipeline: FeaturePipeline, path: string): Promise<number> {
  const bytes = pipeline.snapshot();
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, path);
  return bytes.length;
}

/**
 * Owns the feature state's life: restores the in-memory state from a snapshot before any consumer
 * starts, and at shutdown (after the consumers finished, committed and stopped) writes it back and
 * closes the store. The snapshot therefore matches the committed offsets of a graceful stop; after a
 * crash the state is that of the last graceful stop. With a health registry, `/health` reports the
 * store (`feature-store`: down while Redis does not answer, when no batch can be scored).
 */
export class FeatureStateLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(FeatureStateLifecycle.name);

  constructor(
    private readonly pipeline: FeaturePipeline,
    private readonly snapshotPath: string | undefined,
    health?: HealthRegistry,
  ) {
    const { store } = pipeline;
    health?.register('feature-store', () => ({ up: store.reachable, details: { kind: store.kind } }));
  }

  private get snapshots(): boolean {
    return this.snapshotPath !== undefined && this.pipeline.store.kind === 'memory';
  }

  async onModuleInit(): Promise<void> {
    if (!this.snapshots || !this.snapshotPath || !existsSync(this.snapshotPath)) return;
    try {
      this.pipeline.restore(await readFile(this.snapshotPath));
    } catch (error) {
      // Another feature set or snapshot format: features warm up again from the stream, as after a crash.
      this.logger.warn({
        msg: 'feature state snapshot not restored; starting cold',
        path: this.snapshotPath,
        error: describeError(error),
      });
      return;
    }
    this.logger.log({ msg: 'feature state restored', path: this.snapshotPath });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.snapshots && this.snapshotPath) {
      const bytes = await saveFeatureSnapshot(this.pipeline, this.snapshotPath);
      this.logger.log({ msg: 'feature state saved', path: this.snapshotPath, bytes });
    }
    await this.pipeline.store.close();
  }
}
