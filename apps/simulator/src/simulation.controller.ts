import { BadRequestException, Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { SimulationControl } from './simulation.control';

/** A short printable string from a JSON body's field, or the fallback. */
function field(body: unknown, name: string, fallback: string): string {
  if (!body || typeof body !== 'object' || !(name in body)) return fallback;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 200) : fallback;
}

/**
 * The running simulation's clock over HTTP: `POST /simulation/pause` (optional JSON body
 * `{"key": "...", "reason": "..."}`) holds the stream under `key` (default `http`), event time
 * standing still; `POST /simulation/resume` (`{"key": "..."}`) releases that hold, and the stream
 * goes on at its pace once no hold is left (the history hold is `history`); `POST /simulation/horizon`
 * (`{"eventTime": <epoch ms> | null, "reason": "..."}`) lets no event after `eventTime` go out until
 * it moves (null: no horizon); `GET /simulation` says which holds there are and where the horizon
 * is. Idempotent; for an orchestrator (the demo's backpressure).
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
    this.control.hold(field(body, 'key', 'http'), field(body, 'reason', 'paused over HTTP'));
    return this.control.status();
  }

  @Post('horizon')
  @HttpCode(200)
  horizon(@Body() body: unknown): ReturnType<SimulationControl['status']> {
    const eventTime =
      body && typeof body === 'object' ? (body as Record<string, unknown>).eventTime : undefined;
    if (eventTime !== null && (typeof eventTime !== 'number' || !Number.isFinite(eventTime)))
      throw new BadRequestException('eventTime must be an epoch-millisecond number or null');
    this.control.setHorizon(eventTime, field(body, 'reason', 'at the horizon set over HTTP'));
    return this.control.status();
  }

  @Post('resume')
  @HttpCode(200)
  resume(@Body() body: unknown): ReturnType<SimulationControl['status']> {
    this.control.release(field(body, 'key', 'http'));
    return this.control.status();
  }
}
