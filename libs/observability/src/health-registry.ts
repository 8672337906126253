import { Injectable } from '@nestjs/common';

export interface ComponentHealth {
  readonly up: boolean;
  readonly details?: Record<string, unknown>;
}

export type HealthCheck = () => ComponentHealth | Promise<ComponentHealth>;

export interface HealthReport {
  readonly status: 'up' | 'down';
  readonly components: Record<string, ComponentHealth>;
}

/** Components (broker connection, loaded model...) register a check; GET /health reports them all. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async report(): Promise<HealthReport> {
    const components: Record<string, ComponentHealth> = {};
    for (const [name, check] of this.checks) {
      try {
        components[name] = await check();
      } catch (error) {
        components[name] = {
          up: false,
          details: { error: error instanceof Error ? error.message : String(error) },
        };
      }
    }
    const status = Object.values(components).every((c) => c.up) ? 'up' : 'down';
    return { status, components };
  }
}
