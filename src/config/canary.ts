/**
 * The `Canary` document (edge-gateway.dev/v1alpha1, issue #14): automated canary analysis of one
 * weighted rule of a VirtualService, modeled on Flagger's `Canary.spec.analysis` (interval,
 * threshold, stepWeight/maxWeight or stepWeights, a success-rate and a latency metric) in our own
 * schema. It lives in routes/ beside the VirtualService it drives:
 *
 *   apiVersion: edge-gateway.dev/v1alpha1
 *   kind: Canary
 *   metadata: { name: checkout }
 *   spec:
 *     target: { virtualService: shop, rule: checkout }   # the http[] rule (by name) it drives
 *     primary: { host: checkout.internal, subset: v1 }
 *     canary: { host: checkout.internal, subset: v2 }
 *     analysis:
 *       interval: 1m
 *       threshold: 3
 *       stepWeights: [1, 5, 25, 50]                     # or stepWeight: 10, maxWeight: 50
 *       minRequests: 100
 *       successRate: { min: 99, maxDrop: 1 }            # percent; points below the primary
 *       latencyP99: { maxMs: 500, maxRatio: 1.5 }
 *       failures: { statuses: ["5xx"], gatewayErrors: true, timeouts: true }
 *
 * The compiler checks the references (the rule exists and splits between exactly these two
 * destinations); the rollout itself runs in the state plane (src/state/rollout-object.ts).
 */
import { z } from "zod";
import { describe } from "./duration.ts";
import { Metadata, duration, dnsLabel, enumOf, int, obj, str, bool } from "./schema/common.ts";

export const CANARY_API_VERSION = "edge-gateway.dev/v1alpha1";

const percent = (what: string) =>
  z.number({ error: (iss) => `expected ${what} (a percentage from 0 to 100), got ${describe(iss.input)}` }).min(0, { error: `${what} must be at least 0` }).max(100, { error: `${what} must be at most 100` });

const Destination = obj({
  host: str("a hostname"),
  subset: dnsLabel("subset").optional(),
});

/** "5xx", "4xx" or one status code. */
const FailureStatus = z.union([enumOf(["5xx", "4xx"] as const), int(100, 599, "a status code")]);

const Analysis = obj({
  interval: duration({ minMs: 1 }),
  threshold: int(1, 1000, "a number of failed checks"),
  stepWeights: z
    .array(int(1, 100, "a weight in percent"))
    .min(1, { error: "stepWeights needs at least one weight" })
    .superRefine((w, ctx) => {
      for (let i = 1; i < w.length; i++)
        if (w[i]! <= w[i - 1]!) ctx.addIssue({ code: "custom", path: [i], message: `stepWeights must increase: ${w[i]} after ${w[i - 1]}` });
    })
    .optional(),
  stepWeight: int(1, 100, "a weight in percent").optional(),
  maxWeight: int(1, 100, "a weight in percent").optional(),
  minRequests: int(0, 1_000_000_000, "a number of requests").default(100),
  successRate: obj({ min: percent("successRate.min").optional(), maxDrop: percent("successRate.maxDrop").optional() }).optional(),
  latencyP99: obj({
    maxMs: z.number({ error: (iss) => `expected milliseconds, got ${describe(iss.input)}` }).positive({ error: "latencyP99.maxMs must be positive" }).optional(),
    maxRatio: z.number({ error: (iss) => `expected a ratio, got ${describe(iss.input)}` }).min(1, { error: "latencyP99.maxRatio must be at least 1" }).optional(),
  }).optional(),
  failures: obj({
    statuses: z.array(FailureStatus).default(["5xx"]),
    gatewayErrors: bool().default(true),
    timeouts: bool().default(true),
  }).default({ statuses: ["5xx"], gatewayErrors: true, timeouts: true }),
}).superRefine((a, ctx) => {
  if (a.stepWeights && (a.stepWeight !== undefined || a.maxWeight !== undefined))
    ctx.addIssue({ code: "custom", path: ["stepWeights"], message: "give either stepWeights or stepWeight/maxWeight, not both" });
  if (!a.stepWeights && a.stepWeight === undefined) ctx.addIssue({ code: "custom", path: ["stepWeight"], message: "give stepWeights, or stepWeight (with maxWeight, default 50)" });
  if (a.stepWeight !== undefined && a.maxWeight !== undefined && a.stepWeight > a.maxWeight)
    ctx.addIssue({ code: "custom", path: ["stepWeight"], message: `stepWeight ${a.stepWeight} is above maxWeight ${a.maxWeight}` });
  if (!a.successRate && !a.latencyP99) ctx.addIssue({ code: "custom", path: [], message: "analysis needs a check: successRate and/or latencyP99" });
});

export const Canary = obj({
  apiVersion: z.literal(CANARY_API_VERSION, { error: `apiVersion must be ${CANARY_API_VERSION}` }),
  kind: z.literal("Canary"),
  metadata: Metadata,
  spec: obj({
    target: obj({ virtualService: str("a VirtualService name (NAME or NAMESPACE/NAME)"), rule: str("the name of an http[] rule") }),
    primary: Destination,
    canary: Destination,
    analysis: Analysis,
  }),
});

export type Canary = z.infer<typeof Canary>;
