import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import type { Response } from 'express';
import { HealthRegistry } from './health-registry';
import { MetricsRegistry } from './metrics-registry';

/** GET /health (200 when every component is up, else 503) and GET /metrics (Prometheus text). */
@Controller()
export class ObservabilityController {
  constructor(
    private readonly health: HealthRegistry,
    private readonly metricsRegistry: MetricsRegistry,
  ) {}

  @Get('health')
  async getHealth(@Res() res: Response): Promise<void> {
    const report = await this.health.report();
    res.status(report.status === 'up' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async getMetrics(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.metricsRegistry.contentType);
    res.send(await this.metricsRegistry.metrics());
  }
}
