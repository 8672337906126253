import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Post,
  Query,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import {
  ConsoleAuth,
  parseRequest,
  renderSignInPage,
  signInSchema,
  type ConsoleMetrics,
  type Principal,
} from '@fraudstream/console';
import type { Request, Response } from 'express';
import { APP_CONFIG, type ConsoleAppConfig } from './console.config';
import { CONSOLE_METRICS } from './console.tokens';
import { CurrentPrincipal, Public, SESSION_COOKIE, readCookie } from './session.guard';

/** Only a path of the console itself is followed after sign-in (never another site). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) && !next.startsWith('/login')
    ? next
    : '/';
}

function whoami(principal: Principal) {
  return { user: principal.user, roles: principal.roles, csrf_token: principal.csrfToken };
}

/** Sign-in page, sign-in and sign-out requests, and who the session is. HTTP only; ConsoleAuth decides. */
@Controller()
export class SessionController {
  constructor(
    private readonly auth: ConsoleAuth,
    @Inject(APP_CONFIG) private readonly config: ConsoleAppConfig,
    @Inject(CONSOLE_METRICS) private readonly metrics: ConsoleMetrics,
  ) {}

  @Public()
  @Get('login')
  @Header('Content-Type', 'text/html; charset=utf-8')
  signInPage(@Req() request: Request, @Res() response: Response, @Query('next') next?: string): void {
    const target = safeNext(next);
    if (this.auth.authenticate(readCookie(request, SESSION_COOKIE))) return response.redirect(303, target);
    response.send(
      renderSignInPage(
        target,
        'Local accounts from the console\u2019s configuration; single sign-on (OIDC) is described in docs/console.md.',
      ),
    );
  }

  @Public()
  @Post('api/session')
  @HttpCode(200)
  async signIn(@Body() body: unknown, @Res({ passthrough: true }) response: Response) {
    const request = parseRequest(signInSchema, body, 'sign-in');
    const session = await this.auth.signIn(request.username, request.password);
    this.metrics.signIns.inc({ outcome: session ? 'success' : 'failure' });
    if (!session) throw new UnauthorizedException('wrong user name or password');
    response.cookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.CONSOLE_COOKIE_SECURE,
      path: '/',
      maxAge: this.config.CONSOLE_SESSION_TTL_MS,
    });
    return whoami(session.principal);
  }

  @Post('api/session/sign-out')
  @HttpCode(200)
  signOut(@Res({ passthrough: true }) response: Response) {
    response.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
    return { message: 'signed out' };
  }

  @Get('api/session')
  session(@CurrentPrincipal() principal: Principal) {
    return whoami(principal);
  }
}
