/** @jsxImportSource hono/jsx */
/**
 * The frame of every console page: a skip link, the navigation (aria-current marks the page),
 * the logout form for a session, and one <main>. Pages are plain server-rendered HTML; the only
 * script is /assets/app.js, loaded deferred and optional.
 */
import type { Child } from "hono/jsx";

export const UI = "/__gateway/ui";

export type Page = "overview" | "routes" | "explain" | "versions" | "canaries" | "health";

const NAV: Array<[Page, string, string]> = [
  ["overview", "Overview", `${UI}/`],
  ["routes", "Routes", `${UI}/routes`],
  ["explain", "Explain", `${UI}/explain`],
  ["versions", "Versions", `${UI}/versions`],
  ["canaries", "Canaries", `${UI}/canaries`],
  ["health", "Health", `${UI}/health`],
];

/** How the viewer is signed in: a session gets a logout button carrying the CSRF token. */
export type Viewer = { kind: "session"; csrf: string } | { kind: "bearer" };

export function Layout(props: { title: string; page: Page; viewer: Viewer; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · edge-gateway console`}</title>
        <link rel="stylesheet" href={`${UI}/assets/app.css`} />
        <script src={`${UI}/assets/app.js`} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <span class="brand">edge-gateway</span>
          <nav aria-label="Console">
            <ul>
              {NAV.map(([id, label, href]) => (
                <li>
                  <a href={href} aria-current={id === props.page ? "page" : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {props.viewer.kind === "session" ? (
            <form method="post" action={`${UI}/logout`}>
              <input type="hidden" name="_csrf" value={props.viewer.csrf} />
              <button type="submit">Log out</button>
            </form>
          ) : (
            <span class="who">signed in with a Bearer token</span>
          )}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function LoginPage(props: { error?: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>Log in · edge-gateway console</title>
        <link rel="stylesheet" href={`${UI}/assets/app.css`} />
      </head>
      <body>
        <main id="main" class="login">
          <h1>edge-gateway console</h1>
          <p>Enter the gateway's admin token (the <code>ADMIN_TOKEN</code> secret). It is exchanged for a session cookie that lasts 30 minutes.</p>
          {props.error ? (
            <p class="error" role="alert" id="login-error">
              {props.error}
            </p>
          ) : null}
          <form method="post" action={`${UI}/login`}>
            <div class="field">
              <label for="token">Admin token</label>
              <input
                id="token"
                name="token"
                type="password"
                autocomplete="current-password"
                required
                autofocus
                aria-describedby={props.error ? "login-error" : undefined}
                aria-invalid={props.error ? "true" : undefined}
              />
            </div>
            <button type="submit">Log in</button>
          </form>
        </main>
      </body>
    </html>
  );
}

export function ErrorBox(props: { children?: Child }) {
  return (
    <p class="error" role="alert">
      {props.children}
    </p>
  );
}
