/**
 * Golden routing cases (`*.cases.yaml` beside the routes): a request, the dice pinned, and what the
 * gateway must decide. The same files run in vitest and in `npm run routes -- test`, so a user
 * proves their routes in CI before pushing them (like Envoy's router_check_tool).
 *
 * This zod schema is the only definition of the format; `routes schema` exports it as JSON Schema.
 */
import { z } from "zod";

const headerValue = z.string();

export const CaseRequest = z.strictObject({
  /** Absolute URL; its scheme selects the listener (http/https), its host the virtual host. */
  url: z.url({ protocol: /^https?$/ }).describe("absolute http(s) URL of the request"),
  method: z.string().regex(/^[A-Z]+$/, "an upper-case HTTP method like GET").default("GET"),
  /** Request headers (names case-insensitive). `host` overrides the URL's host. */
  headers: z.record(z.string(), headerValue).optional(),
  /** Cookies, sent as one `cookie` header. */
  cookies: z.record(z.string(), z.string()).optional(),
  /** Visitor id for sticky splits when the request carries no visitor cookie. */
  visitor: z.string().min(1).optional(),
  /** Pins every die: `rand()` returns this value (weighted picks, fault and mirror percentages). */
  random: z.number().min(0).lt(1).default(0.5),
  /** Client address (cf-connecting-ip), for useSourceIp hashing and x-forwarded-for. */
  clientIp: z.string().optional(),
  /** The Worker's PATH_NORMALIZATION var to decide under (default BASE, Istio's). */
  pathNormalization: z.enum(["BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"]).optional(),
});

export const DecisionKind = z.enum([
  "forward",
  "redirect",
  "directResponse",
  "faultAbort",
  "corsPreflight",
  "noRoute",
  "httpsRedirect",
  "clusterNotFound",
  "noHealthyUpstream",
  "badRequest",
]);

/** Expected headers: a string = must equal, null = must be absent. */
const HeaderExpectations = z.record(z.string(), z.union([z.string(), z.null()]));

export const CaseExpect = z.strictObject({
  kind: DecisionKind.optional(),
  /** Route name (`reviews-jason`, `http[0]`, `http[0].match-name`), as `routes route` prints it. */
  route: z.string().optional(),
  /** `namespace/name` of the VirtualService that matched. */
  virtualService: z.string().optional(),
  /** Status the client gets (local replies and redirects; forwarded responses come from the origin). */
  status: z.number().int().min(100).max(599).optional(),
  location: z.string().optional(),
  body: z.string().optional(),
  destination: z
    .strictObject({ host: z.string(), subset: z.string().optional(), port: z.number().int().optional() })
    .optional(),
  /** Full URL the gateway fetches (endpoint + upstream path). */
  upstreamUrl: z.string().optional(),
  /** Path + query the origin receives (after rewrites). */
  path: z.string().optional(),
  /** Authority the origin should see. */
  authority: z.string().optional(),
  /** Request headers after the route's header operations (only the listed names are checked). */
  requestHeaders: HeaderExpectations.optional(),
  /** Response headers the gateway adds/sets/removes (checked on an empty upstream response). */
  responseHeaders: HeaderExpectations.optional(),
  /** Variant of a weighted split (`host` or `host/subset`). */
  variant: z.string().optional(),
  timeoutMs: z.number().int().nonnegative().nullable().optional(),
  /** Number of retries of the effective policy. */
  retries: z.number().int().nonnegative().optional(),
  /** Hosts that receive a mirror copy, in order. */
  mirrors: z.array(z.string()).optional(),
  /** Fault delay applied before forwarding, in ms. */
  delayMs: z.number().int().nonnegative().optional(),
});

export const GoldenCase = z.strictObject({
  name: z.string().min(1),
  request: CaseRequest,
  expect: CaseExpect,
});

export const CasesFile = z.strictObject({
  cases: z.array(GoldenCase).min(1),
});

export type CaseRequest = z.infer<typeof CaseRequest>;
export type CaseExpect = z.infer<typeof CaseExpect>;
export type GoldenCase = z.infer<typeof GoldenCase>;
export type CasesFile = z.infer<typeof CasesFile>;

export function casesJsonSchema(): object {
  return z.toJSONSchema(CasesFile, { target: "draft-7", io: "input" });
}
