import type { z } from "zod";
import type { IncomingUpdate } from "./ingest.ts";

/**
 * Deepest JSON nesting accepted from a platform. Real updates nest about 8 levels (a button press
 * on a message that replies to another message with entities); anything far deeper is hostile,
 * and is refused before it is parsed or walked (no recursion ever sees it).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Why an inbound update was refused at the boundary (the `reason` label of
 * `taimat_updates_rejected_total`): a fixed set, so the label's cardinality stays bounded.
 */
export type RejectReason =
  /** Not an update of the platform at all (not an object, no update id / no event). */
  | "not_an_update"
  /** JSON nested deeper than MAX_JSON_DEPTH. */
  | "too_deep"
  /** A field the service needs is absent (a group message or button press without `from` …). */
  | "missing_field"
  /** A field has the wrong type (text as a number or object, callback data as a number …). */
  | "wrong_type"
  /** A string or list longer than the platform allows (with a margin). */
  | "too_long"
  /** A number outside its range (an id beyond 2^53, a latitude of 91 …). */
  | "out_of_range"
  /** Any other value the platform never sends (an empty `photo` list …). */
  | "invalid_value";

/** The outcome of checking one inbound body: an update to store, or a refusal with its reason. */
export type UpdateVerdict =
  | { ok: true; update: IncomingUpdate }
  | {
      ok: false;
      reason: RejectReason;
      /** The platform's id of the update, when it was itself valid (for the log line). */
      updateKey?: string;
      /** Where the first problem is (schema keys only, never a value), e.g. `message.text`. */
      field?: string;
    };

/**
 * True when JSON text nests arrays/objects deeper than `max`. A linear scan of the characters
 * (strings and escapes skipped), no parsing and no recursion: cheap even for a 1 MB body. Most
 * bodies are settled before it: nesting can never be deeper than the number of `{` and `[` in the
 * text (those inside strings only add to the count), and counting them with `indexOf` is several
 * times faster than the scan (a Telegram update has half a dozen).
 */
export function jsonTextTooDeep(raw: string, max = MAX_JSON_DEPTH): boolean {
  let openers = 0;
  for (let i = raw.indexOf("{"); i !== -1 && openers <= max; i = raw.indexOf("{", i + 1)) openers++;
  for (let i = raw.indexOf("["); i !== -1 && openers <= max; i = raw.indexOf("[", i + 1)) openers++;
  if (openers <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) {
      depth--;
    }
  }
  return false;
}

/**
 * True when an already parsed value (e.g. from a long poll) nests deeper than `max`. Iterative
 * (an explicit stack), so a hostile value cannot overflow the call stack here either.
 */
export function valueTooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** The refusal reason and field for a schema failure, from its first issue. */
export function rejection(error: z.ZodError, input: unknown): { reason: RejectReason; field: string } {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join(".").slice(0, 120);
  let value: unknown = input;
  for (const key of issue.path) value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (value === undefined) return { reason: "missing_field", field };
  return { reason: classify(issue), field };
}

function classify(issue: z.core.$ZodIssue): RejectReason {
  switch (issue.code) {
    case "invalid_union": {
      // e.g. an id that may be a string or a number: the problem of the branch whose type matched
      // counts; when no branch's type matched, the type is wrong.
      const matched = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.code !== "invalid_type"));
      return matched ? classify(matched[0]!) : "wrong_type";
    }
    case "invalid_type":
      return "wrong_type";
    case "too_big":
    case "too_small": {
      const origin = (issue as { origin?: string }).origin;
      if (origin === "number" || origin === "int" || origin === "bigint") return "out_of_range";
      return issue.code === "too_big" ? "too_long" : "invalid_value";
    }
    default:
      return "invalid_value";
  }
}

/** Where refusals are reported: the metric and one log line. */
export interface RejectionSink {
  metrics: { updatesRejected: { inc(labels: { channel: string; reason: string }): void } };
  log: { warn(obj: object, msg: string): void };
}

/**
 * Counts a refused update (`taimat_updates_rejected_total{channel,reason}`) and logs it once,
 * without its content: channel, reason, the field at fault and the update's id when that was valid.
 */
export function reportRejected(sink: RejectionSink, channel: string, verdict: Extract<UpdateVerdict, { ok: false }>): void {
  sink.metrics.updatesRejected.inc({ channel, reason: verdict.reason });
  sink.log.warn(
    { channel, reason: verdict.reason, ...(verdict.field ? { field: verdict.field } : {}), ...(verdict.updateKey ? { updateKey: verdict.updateKey } : {}) },
    "inbound update refused at the boundary; acknowledged, not stored",
  );
}
