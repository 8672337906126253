import { html } from './html';
import { pageLayout } from './page-layout.view';

/** The sign-in form; the script posts it as JSON (a cross-site form cannot) and follows `next`. */
export function renderSignInPage(next: string, oidcNote: string | null): string {
  return pageLayout({
    title: 'Sign in',
    page: 'login',
    principal: null,
    body: html`<section class="card narrow">
      <h1>Sign in</h1>
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
      ${oidcNote ? html`<p class="muted">${oidcNote}</p>` : null}
    </section>`,
  });
}
