import type { NextFunction, Request, Response } from 'express';

/**
 * Headers on every response: scripts and styles from the console's own origin only (pages have no
 * inline script), no framing, no sniffing, no referrer to other sites, nothing cached.
 */
export function securityHeaders(_request: Request, response: Response, next: NextFunction): void {
  response.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  );
  response.removeHeader('X-Powered-By');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'same-origin');
  if (!response.hasHeader('Cache-Control')) response.setHeader('Cache-Control', 'no-store');
  next();
}
