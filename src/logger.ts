import pino, { type Logger } from "pino";
import { secretRedactor } from "./security/redact.ts";

export type { Logger };

/**
 * Creates the service logger. Bot tokens travel inside API URLs (`/bot<token>/method`), so every
 * string that reaches a log line goes through the same redactor as stored errors (security/redact.ts):
 * the configured secrets and anything shaped like a bot token are replaced.
 */
export function createLogger(level: string, secrets: Array<string | undefined>, destination?: pino.DestinationStream): Logger {
  const scrub = secretRedactor(secrets);
  const deep = (value: unknown, depth = 0): unknown => {
    if (typeof value === "string") return scrub(value);
    if (depth > 6 || value === null || typeof value !== "object") return value;
    if (value instanceof Error) {
      // grammY's HttpError keeps the transport error (whose message names the URL, token included) in `error`.
      const inner = (value as { error?: unknown }).error ?? value.cause;
      return {
        type: value.name,
        message: scrub(value.message),
        stack: value.stack ? scrub(value.stack) : undefined,
        ...(inner !== undefined ? { cause: deep(inner, depth + 1) } : {}),
      };
    }
    if (Array.isArray(value)) return value.map((v) => deep(v, depth + 1));
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = deep(v, depth + 1);
    return copy;
  };
  return pino(
    {
      level,
      base: { service: "tai-mat" },
      formatters: { log: (obj) => deep(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === "string" ? scrub(a) : a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
      serializers: { err: (e: unknown) => deep(e), error: (e: unknown) => deep(e) },
    },
    destination,
  );
}
