import crypto from "node:crypto";

/**
 * The webhook secret for a platform: the configured one, or one derived from the bot token so a
 * token alone is enough to run safely (the derived value is what we register with setWebhook).
 */
export function webhookSecret(configured: string | undefined, token: string | undefined, platform: string): string | undefined {
  if (configured) return configured;
  if (!token) return undefined;
  return crypto.createHash("sha256").update(`tai-mat:${platform}:${token}`).digest("base64url").slice(0, 48);
}
