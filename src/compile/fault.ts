/**
 * HTTPFaultInjection → Fault (istio:route TranslateFault, ISTIO-SEMANTICS §1.2, §2.6).
 * A missing percentage means the fault never fires: `percentage` absent ⇒ the deprecated
 * integer `percent` ⇒ 0.
 */
import type { Fault } from "../table/types.ts";
import type { HTTPFaultInjection } from "./input.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { parseDuration } from "../config/duration.ts";
import { at, type Where } from "./regex.ts";

export function fault(f: HTTPFaultInjection | undefined, where: Where, diags: Diagnostics): Fault | undefined {
  if (!f) return undefined;
  const out: Fault = {};
  if (f.delay) {
    const ms = f.delay.fixedDelay !== undefined ? parseDuration(f.delay.fixedDelay) : null;
    if (ms !== null) out.delay = { fixedDelayMs: ms, percentage: f.delay.percentage?.value ?? f.delay.percent ?? 0 };
  }
  if (f.abort) {
    if (f.abort.httpStatus !== undefined) {
      out.abort = { httpStatus: f.abort.httpStatus, percentage: f.abort.percentage?.value ?? f.abort.percent ?? 0 };
    } else if (f.abort.grpcStatus !== undefined) {
      // A gRPC abort answers with a grpc-status trailer-only response; the table has no shape for it.
      diags.warn(where.obj, at(where, "abort", "grpcStatus").path, "gRPC aborts are not supported at the edge; this abort is ignored", "unsupported");
    }
  }
  return out.delay || out.abort ? out : undefined;
}
