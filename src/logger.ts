import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Creates the service logger. Bot tokens travel inside API URLs (`/bot<token>/method`), so every
 * string that reaches a log line is scrubbed of the configured secrets and of anything shaped like
 * a token path segment.
 */
export function createLogger(level: string, secrets: Array<string | undefined>, destination?: pino.DestinationStream): Logger {
  const known = secrets.filter((s): s is string => !!s && s.length >= 6);
  const scrub = (text: string): string => {
    // Both platforms' tokens are "<bot id>:<secret>" and sit in the path as /bot<token>/method.
    let out = text.replace(/\/bot[^/\s"':]*:[^/\s"']+(?=\/)/g, "/bot<redacted>");
    for (const s of known) out = out.split(s).join("<redacted>");
    return out;
  };
  const deep = (value: unknown, depth = 0): unknown => {
    if (typeof value === "string") return scrub(value);
    if (depth > 6 || value === null || typeof value !== "object") return value;
    if (value instanceof Error) {
      return { type: value.name, message: scrub(value.message), stack: value.stack ? scrub(value.stack) : undefined };
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
