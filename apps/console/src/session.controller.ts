import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Post,
  Query,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import {
  ConsoleAuth,
  OIDC_CALLBACK_PATH,
  OIDC_FLOW_TTL_MS,
  OidcSignInError,
  parseRequest,
  renderSignInPage,
  renderSignedInPage,
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

/** The short-lived cookie of one single-sign-on attempt (state, nonce, PKCE verifier; sealed). */
const OIDC_FLOW_COOKIE = 'fraudstream_oidc_flow';

function whoami(principal: Principal) {
  return { user: principal.user, roles: principal.roles, csrf_token: principal.csrfToken };
}

/**
 * Sign-in page, sign-in (local, or single sign-on through the provider and back) and sign-out
 * requests, and who the session is. HTTP only; ConsoleAuth decides.
 */
@Controller()
export class SessionController {
  private readonly logger = new Logger(SessionController.name);

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
    response.send(renderSignInPage(target, { oidcName: this.auth.oidcName }));
  }

  /** Starts single sign-on: the attempt's sealed checks in a cookie, the browser sent to the provider. */
  @Public()
  @Get('login/oidc')
  async oidcSignIn(@Res() response: Response, @Query('next') next?: string): Promise<void> {
    if (!this.auth.oidcName) throw new NotFoundException('single sign-on is not configured');
    const { url, flowToken } = await this.auth.beginOidcSignIn(safeNext(next));
    // Lax, not Strict: the provider sends the browser back with a top-level cross-site navigation.
    response.cookie(OIDC_FLOW_COOKIE, flowToken, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.CONSOLE_COOKIE_SECURE,
      path: '/login/oidc',
      maxAge: OIDC_FLOW_TTL_MS,
    });
    response.redirect(303, url.href);
  }

  /**
   * The provider's answer: checked (state, the code with PKCE, the ID token), the user and roles
   * mapped, the console's own session issued. A refusal shows the sign-in page with the reason (401)
   * and makes no session. The attempt's cookie is spent either way.
   */
  @Public()
  @Get(OIDC_CALLBACK_PATH.slice(1))
  @Header('Content-Type', 'text/html; charset=utf-8')
  async oidcCallback(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.auth.oidcName) throw new NotFoundException('single sign-on is not configured');
    const flowToken = readCookie(request, OIDC_FLOW_COOKIE);
    response.clearCookie(OIDC_FLOW_COOKIE, { path: '/login/oidc', httpOnly: true, sameSite: 'lax' });
    const query = new URLSearchParams(request.originalUrl.split('?')[1] ?? '');
    try {
      const session = await this.auth.completeOidcSignIn(query, flowToken);
      this.metrics.signIns.inc({ outcome: 'success' });
      this.setSessionCookie(response, session.token);
      response.send(renderSignedInPage(session.next, session.principal.user));
    } catch (error) {
      if (!(error instanceof OidcSignInError)) throw error;
      this.metrics.signIns.inc({ outcome: 'failure' });
      this.logger.warn({ msg: 'single sign-on refused', reason: error.message });
      response.status(401).send(
        renderSignInPage(this.auth.oidcNext(flowToken), {
          oidcName: this.auth.oidcName,
          error: `Single sign-on failed: ${error.message}`,
        }),
      );
    }
  }

  @Public()
  @Post('api/session')
  @HttpCode(200)
  async signIn(@Body() body: unknown, @Res({ passthrough: true }) response: Response) {
    const request = parseRequest(signInSchema, body, 'sign-in');
    const session = await this.auth.signIn(request.username, request.password);
    this.metrics.signIns.inc({ outcome: session ? 'success' : 'failure' });
    if (!session) throw new UnauthorizedException('wrong user name or password');
    this.setSessionCookie(response, session.token);
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

  private setSessionCookie(response: Response, token: string): void {
    response.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.CONSOLE_COOKIE_SECURE,
      path: '/',
      maxAge: this.config.CONSOLE_SESSION_TTL_MS,
    });
  }
}
