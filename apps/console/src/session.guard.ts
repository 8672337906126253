import {
  ForbiddenException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  UnsupportedMediaTypeException,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ConsoleAuth, type ConsolePermission, type Principal } from '@fraudstream/console';
import type { Request } from 'express';

/** Name of the session cookie (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'fraudstream_session';

const PUBLIC = 'console:public';
const PERMISSION = 'console:permission';

/** A route anyone may call (the sign-in page and request, the stylesheet and script). */
export const Public = () => SetMetadata(PUBLIC, true);

/** The permission a route needs beyond being signed in (default: read). */
export const Requires = (permission: ConsolePermission) => SetMetadata(PERMISSION, permission);

/** The signed-in user of the request (set by SessionGuard). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>().principal;
  if (!principal) throw new UnauthorizedException('sign in first');
  return principal;
});

/** A page request without a session: the filter sends the browser to the sign-in page. */
export class SignInRequiredException extends UnauthorizedException {
  constructor(readonly next: string) {
    super('sign in first');
  }
}

/** Health and metrics stay open to probes and scrapers, as in every app. */
const OBSERVABILITY_PATHS: ReadonlySet<string> = new Set(['/health', '/metrics']);
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

function sameOrigin(request: Request): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/**
 * Every request but the public ones needs a session; every mutating request (any method but GET,
 * HEAD, OPTIONS) must also be JSON, come from the console's own origin, carry the session's CSRF
 * token in `X-CSRF-Token`, and be allowed to the user's roles. Checked here, server-side, for every
 * route: a button hidden from a role is not what protects the action.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: ConsoleAuth,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    if (OBSERVABILITY_PATHS.has(request.path)) return true;
    const targets = [context.getHandler(), context.getClass()];
    const mutating = !SAFE_METHODS.has(request.method);
    if (mutating) {
      if (!sameOrigin(request)) throw new ForbiddenException('cross-site request refused');
      // A cross-site form can post urlencoded or multipart bodies, never JSON without a preflight.
      if (!request.is('application/json'))
        throw new UnsupportedMediaTypeException('send a JSON body with Content-Type: application/json');
    }
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const principal = this.auth.authenticate(readCookie(request, SESSION_COOKIE));
    if (!principal) {
      if (!mutating && !request.path.startsWith('/api/'))
        throw new SignInRequiredException(request.originalUrl);
      throw new UnauthorizedException('sign in first');
    }
    if (mutating && !this.auth.checkCsrf(principal, request.header('x-csrf-token')))
      throw new ForbiddenException('missing or wrong CSRF token: reload the page');
    const permission = this.reflector.getAllAndOverride<ConsolePermission>(PERMISSION, targets) ?? 'read';
    if (!this.auth.may(principal, permission))
      throw new ForbiddenException(
        `${principal.user} (${principal.roles.join(', ')}) may not ${permission === 'work-cases' ? 'work cases' : permission === 'operate-models' ? 'promote or roll back models' : 'read'}`,
      );
    request.principal = principal;
    return true;
  }
}
