import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { SimulationControl } from './simulation.control';

/**
 * The running simulation's clock over HTTP: `POST /simulation/pause` (optional JSON body
 * `{"reason": "..."}`) holds the stream, event time standing still; `POST /simulation/resume` lets
 * it go on at its pace; `GET /simulation` says which. Idempotent; for an orchestrator (the demo
 * holds the stream while a retrain request is being answered).
 */
@Controller('simulation')
export class SimulationController {
  constructor(private readonly control: SimulationControl) {}

  @Get()
  status(): ReturnType<SimulationControl['status']> {
    return this.control.status();
  }

  @Post('pause')
  @HttpCode(200)
  pause(@Body() body: unknown): ReturnType<SimulationControl['status']> {
    const reason =
      body && typeof body === 'object' && 'reason' in body && typeof body.reason === 'string'
        ? body.reason.slice(0, 200)
        : 'paused over HTTP';
    this.control.pause(reason);
    return this.control.status();
  }

  @Post('resume')
  @HttpCode(200)
  resume(): ReturnType<SimulationControl['status']> {
    this.control.resume();
    return this.control.status();
  }
}
