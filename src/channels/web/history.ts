import type { Sealer } from "../../security/sealing.ts";

/** Binds a sealed web chat message to its use, so it cannot be moved into another sealed field. */
const CONTEXT = "web-history";

/**
 * What a delivered web chat message keeps in its outbox row: the outbox is the page's history, so
 * the payload stays — sealed, so that a reader of the database cannot read a tipster's receipt
 * notice, question or closure (each naming the tip) next to the chat they went to.
 */
export function sealHistory(sealer: Sealer, payload: string): string {
  return JSON.stringify({ sealed: sealer.seal(payload, CONTEXT) });
}

/** A stored web message payload as the page shows it: opened when sealed; `{scrubbed:true}` when it cannot be. */
export function openHistory(sealer: Sealer, stored: string): unknown {
  const parsed = JSON.parse(stored) as { sealed?: unknown };
  if (typeof parsed?.sealed !== "string") return parsed;
  try {
    return JSON.parse(sealer.open(parsed.sealed, CONTEXT));
  } catch {
    return { scrubbed: true }; // sealed under a key no longer configured
  }
}
