/** Prints what a dry run would have written, in write order, with the exact command lines. */
import type { DryRunKv } from "./kv-writer.ts";
import type { Io } from "./io.ts";
import { RemoteKv } from "./remote-kv.ts";

export function printPlan(io: Io, dry: DryRunKv, inner: unknown): void {
  io.out(`dry run: nothing was written. A real run would write to ${dry.target}, in this order:`);
  if (dry.planned.length === 0) io.out("  (nothing)");
  dry.planned.forEach((w, i) => {
    const size = w.bytes === undefined ? "" : ` (${w.bytes} bytes)`;
    io.out(`  ${i + 1}. ${w.op} ${w.key}${size}`);
    io.out(`     ${w.how}`);
  });
  if (inner instanceof RemoteKv && inner.staged) {
    io.out(`values staged in ${inner.staged} (inspect them, or run the commands yourself)`);
  }
  if (dry.unread.length > 0) {
    io.out(
      `note: a dry run executes nothing remote, so ${dry.unread.join(", ")} ${dry.unread.length === 1 ? "was" : "were"} not read; ` +
        "the plan treats them as absent. A real push also keeps the older history entries (up to the limit) " +
        "and deletes the versions that fall out of it, after the pointer.",
    );
  }
}
