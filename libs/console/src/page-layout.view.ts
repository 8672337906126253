import { DAY_MS } from '@fraudstream/contracts';
import type { Principal } from './console-auth.service';
import { html, type SafeHtml } from './html';

export type ConsolePage = 'queue' | 'case' | 'models' | 'drift' | 'login';

/** An event time as `YYYY-MM-DD HH:MM` (UTC). */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** A UTC day number (epoch days) as `YYYY-MM-DD`. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function formatNumber(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

/** A badge: a short label whose class colours it (kind, severity, stage, status, verdict). */
export function badge(text: string, kind = text.toLowerCase()): SafeHtml {
  return html`<span class="badge badge-${kind.replace(/[^a-z0-9-]/g, '-')}">${text}</span>`;
}

const NAV: readonly { page: ConsolePage; href: string; title: string }[] = [
  { page: 'queue', href: '/', title: 'Alert queue' },
  { page: 'models', href: '/models', title: 'Models' },
  { page: 'drift', href: '/drift', title: 'Drift' },
];

/**
 * The page frame: navigation, who is signed in with their roles, the session's CSRF token for the
 * script's requests, the stylesheet and the script (both served by the console itself: no CDN).
 */
export function pageLayout(options: {
  readonly title: string;
  readonly page: ConsolePage;
  readonly principal: Principal | null;
  readonly body: SafeHtml;
}): string {
  const p = options.principal;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${p ? html`<meta name="csrf-token" content="${p.csrfToken}" />` : null}
        <title>${options.title} · fraudstream console</title>
        <link rel="stylesheet" href="/assets/console.css" />
        <script src="/assets/console.js" defer></script>
      </head>
      <body data-page="${options.page}">
        <header class="top">
          <a class="brand" href="/">fraudstream</a>
          ${
            p
              ? html`<nav>
                    ${NAV.map(
                      (n) =>
                        html`<a
                          href="${n.href}"
                          class="${n.page === options.page || (n.page === 'queue' && options.page === 'case') ? 'active' : ''}"
                          >${n.title}</a
                        >`,
                    )}
                  </nav>
                  <div class="who">
                    <span data-testid="user">${p.user}</span> ${p.roles.map((r) => badge(r, 'role'))}
                    <button type="button" class="link" data-action="sign-out">Sign out</button>
                  </div>`
              : null
          }
        </header>
        <div id="flash" role="status" hidden></div>
        <main>${options.body}</main>
      </body>
    </html> `.value;
}
