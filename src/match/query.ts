/**
 * Query parameters as Envoy's route matcher sees them (`Http::Utility::parseQueryString`
 * in RouteEntryImplBase::matchRoute): split on `&`, name/value split at the first `=`,
 * values NOT percent-decoded, and a matcher reads the FIRST value of a repeated name
 * (`?v=1&v=2` ⇒ `1`). `?v` and `?v=` both give the empty value, so `exact: ""` matches both.
 * Names are case-sensitive. Empty names (`?=x`, `?&`) are ignored.
 */
export function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query.length <= 1) return out;
  const body = query.charCodeAt(0) === 63 /* ? */ ? query.slice(1) : query;
  for (const part of body.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq === -1 ? part : part.slice(0, eq);
    if (name === "" || out.has(name)) continue;
    out.set(name, eq === -1 ? "" : part.slice(eq + 1));
  }
  return out;
}
