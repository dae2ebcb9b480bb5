/**
 * The `key=value; key=value` form of our annotations (edge-gateway.dev/sticky-split,
 * edge-gateway.dev/health-check): split into items, each malformed or repeated item reported in
 * the same words for every annotation. What a key means is the caller's.
 */

/** `value`'s items as [key, value] pairs, in order (a repeated key is reported and still returned); `keys` lists the allowed keys for the message. */
export function annotationItems(value: string, keys: string, bad: (message: string) => void): Array<[string, string]> {
  const items: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const raw of value.split(";")) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf("=");
    if (eq <= 0) {
      bad(`expected "key=value" items separated by ";" (keys: ${keys}), got ${JSON.stringify(item)}`);
      continue;
    }
    const key = item.slice(0, eq).trim();
    if (seen.has(key)) bad(`"${key}" is given twice`);
    seen.add(key);
    items.push([key, item.slice(eq + 1).trim()]);
  }
  return items;
}
