import {
  BadRequestException,
  Catch,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { ConsoleError, type ConsoleErrorCode, type ConsoleMetrics } from '@fraudstream/console';
import { describeError } from '@fraudstream/contracts';
import type { Request, Response } from 'express';
import { CONSOLE_METRICS } from './console.tokens';
import { SignInRequiredException } from './session.guard';

const STATUS: { readonly [C in ConsoleErrorCode]: number } = {
  invalid_request: HttpStatus.BAD_REQUEST,
  unknown_case: HttpStatus.NOT_FOUND,
  unknown_model: HttpStatus.NOT_FOUND,
  case_closed: HttpStatus.CONFLICT,
  case_claimed: HttpStatus.CONFLICT,
  case_busy: HttpStatus.CONFLICT,
  not_claimed: HttpStatus.CONFLICT,
  model_refused: HttpStatus.CONFLICT,
  not_ready: HttpStatus.SERVICE_UNAVAILABLE,
  not_acknowledged: HttpStatus.SERVICE_UNAVAILABLE,
};

/** The body parser's errors: JSON that does not parse, a body over the limit. */
function bodyParserError(error: unknown): { status: number; code: string; message: string } | null {
  const e = error as { type?: unknown; status?: unknown } | null;
  if (e?.type === 'entity.parse.failed')
    return { status: 400, code: 'malformed_json', message: 'the body is not valid JSON' };
  if (e?.type === 'entity.too.large')
    return {
      status: 413,
      code: 'body_too_large',
      message: 'the body is larger than the console accepts (32 KiB)',
    };
  return null;
}

function codeOf(status: number): string {
  return (HttpStatus[status] ?? 'error').toLowerCase();
}

/**
 * Maps refusals to HTTP: the console's domain errors to their status with `{ error, message }`, a
 * page without a session to the sign-in page, anything unexpected to 500 (logged). Every refusal is
 * counted by reason.
 */
@Catch()
export class ConsoleErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ConsoleErrorsFilter.name);

  constructor(@Inject(CONSOLE_METRICS) private readonly metrics: ConsoleMetrics) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<Request>();
    if (error instanceof SignInRequiredException) {
      response.redirect(303, `/login?next=${encodeURIComponent(error.next)}`);
      return;
    }
    let status: number;
    let body: Record<string, unknown>;
    const parser = bodyParserError(error);
    if (error instanceof ConsoleError) {
      status = STATUS[error.code];
      body = { error: error.code, message: error.message, ...error.details };
    } else if (parser) {
      status = parser.status;
      body = { error: parser.code, message: parser.message };
    } else if (error instanceof BadRequestException) {
      // The router's mapping of the body parser's SyntaxError (and of a malformed URL): the console
      // itself reports bad input as ConsoleError.
      status = HttpStatus.BAD_REQUEST;
      body = { error: 'malformed_request', message: `the request could not be parsed: ${error.message}` };
    } else if (error instanceof HttpException) {
      status = error.getStatus();
      body = { error: codeOf(status), message: error.message };
    } else {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
      body = { error: 'internal_error', message: 'the console failed; see its log' };
      this.logger.error({
        msg: 'request failed',
        method: request.method,
        path: request.path,
        error: describeError(error),
      });
    }
    if (status < 500 || error instanceof ConsoleError)
      this.metrics.refusals.inc({ reason: String(body.error) });
    response.status(status).json(body);
  }
}
