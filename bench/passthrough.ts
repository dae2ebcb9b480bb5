/**
 * The baseline Worker: a bare pass-through to one origin, nothing else. The gateway's per-request
 * cost is measured against this, in the same workerd build, so what remains is routing,
 * header operations and bookkeeping. Kept to type-strippable TypeScript (no enums, no
 * namespaces) so the runner can hand it to workerd after `stripTypeScriptTypes`.
 */
interface PassthroughEnv {
  /** Origin base URL without trailing slash, e.g. http://127.0.0.1:8080 */
  ORIGIN: string;
}

export default {
  fetch(request: Request, env: PassthroughEnv): Promise<Response> {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
    });
  },
};
