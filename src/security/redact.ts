/** What replaces a secret in stored errors, log lines and CLI output. */
export const REDACTED = "<redacted>";

// Both platforms' tokens are "<bot id>:<secret>" and travel in API paths as `/bot<token>/method`
// (Zalo: `${base}/bot${token}/${method}`, no slash between "bot" and the token).
const TOKEN_PATH = /\/bot[^/\s"'?#]*:[^/\s"'?#]+(?=[/?#\s"']|$)/g;
// A bare token ("123456789:AAH…"): a numeric bot id, a colon and a long secret.
const BARE_TOKEN = /\b\d{5,}:[A-Za-z0-9_-]{8,}/g;

/** Turns text that may carry a secret into text safe to store, log or print. */
export type Redactor = (text: string) => string;

/**
 * Builds the one redactor every stored error, log line and CLI line goes through: the configured
 * secrets (tokens, webhook secrets, a database URL with a password) are replaced wherever they
 * appear, and anything shaped like a bot token — in an API path or bare — is replaced even when
 * it is not configured here (e.g. an error from another process's settings).
 */
export function secretRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
  // Longest first, so a secret containing another is replaced whole.
  const known = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 6))].sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = text;
    for (const s of known) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out.replace(TOKEN_PATH, `/bot${REDACTED}`).replace(BARE_TOKEN, REDACTED);
  };
}

/** The secrets in the configuration that must never be stored, logged or printed. */
export function configuredSecrets(config: {
  telegram: { token?: string; webhookSecret?: string };
  zalo: { token?: string; webhookSecret?: string };
  databaseUrl: string;
}): Array<string | undefined> {
  return [
    config.telegram.token,
    config.telegram.webhookSecret,
    config.zalo.token,
    config.zalo.webhookSecret,
    // A PostgreSQL URL may carry a password.
    config.databaseUrl.includes("@") ? config.databaseUrl : undefined,
  ];
}
