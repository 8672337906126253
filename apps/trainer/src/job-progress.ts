import { Injectable } from '@nestjs/common';

/**
 * The bridge between a running job and the consumer batch it runs in: the consumer sets the batch's
 * heartbeat, the job calls `beat()` between epochs, so a long job keeps its group membership.
 */
@Injectable()
export class JobProgress {
  private heartbeat: (() => Promise<void>) | null = null;

  async beat(): Promise<void> {
    await this.heartbeat?.();
  }

  /** Runs `work` with `heartbeat` as the current batch's heartbeat. */
  async during<T>(heartbeat: () => Promise<void>, work: () => Promise<T>): Promise<T> {
    this.heartbeat = heartbeat;
    try {
      return await work();
    } finally {
      this.heartbeat = null;
    }
  }
}
