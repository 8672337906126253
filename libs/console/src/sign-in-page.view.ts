import { html } from './html';
import { pageLayout } from './page-layout.view';

/**
 * The sign-in form; the script posts it as JSON (a cross-site form cannot) and follows `next`. With
 * single sign-on configured, a link starts it (a plain navigation: the provider's pages are its own).
 */
export function renderSignInPage(
  next: string,
  options: { readonly oidcName: string | null; readonly error?: string | null },
): string {
  const oidcHref = `/login/oidc?next=${encodeURIComponent(next)}`;
  return pageLayout({
    title: 'Sign in',
    page: 'login',
    principal: null,
    body: html`<section class="card narrow">
      <h1>Sign in</h1>
      ${options.error ? html`<p class="error" id="sign-in-error" role="alert">${options.error}</p>` : null}
      ${
        options.oidcName
          ? html`<p>
                <a class="button primary" id="oidc-sign-in" href="${oidcHref}"
                  >Sign in with ${options.oidcName}</a
                >
              </p>
              <p class="muted">or with a local account of the console:</p>`
          : null
      }
      <form id="sign-in" data-next="${next}">
        <label
          >User <input name="username" autocomplete="username" required maxlength="64" autofocus
        /></label>
        <label
          >Password
          <input name="password" type="password" autocomplete="current-password" required maxlength="1024"
        /></label>
        <button type="submit" class="primary">Sign in</button>
      </form>
      ${
        options.oidcName
          ? null
          : html`<p class="muted">
              Local accounts from the console’s configuration (single sign-on: docs/console.md).
            </p>`
      }
    </section>`,
  });
}

/**
 * The answer to a completed single sign-on: the session cookie is set, and this page moves on to
 * `next` by itself. Not a redirect: the browser arrived here from the provider's site, and a
 * SameSite=Strict cookie is not sent on a redirect chain that began on another site, so the first
 * page would ask to sign in again. A refresh from this page is a same-site navigation.
 */
export function renderSignedInPage(next: string, user: string): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="refresh" content="0;url=${next}" />
        <title>Signed in · fraudstream console</title>
        <link rel="stylesheet" href="/assets/console.css" />
      </head>
      <body data-page="signed-in">
        <main>
          <section class="card narrow">
            <p>Signed in as <strong>${user}</strong>. <a href="${next}">Continue</a></p>
          </section>
        </main>
      </body>
    </html>`.toString();
}
