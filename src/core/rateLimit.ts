import type { Tx } from "../db/client.ts";
import { hotSqlOf, readDate, sqliteDate } from "../db/hot.ts";
import type { Sealer } from "../security/sealing.ts";

/**
 * Counts one event against a fixed-window limit (e.g. 5 tips an hour per chat). Returns false —
 * without counting — when the limit is already reached, so a refused attempt never extends the ban.
 */
export async function takeRate(tx: Tx, key: string, limit: number, windowMs: number, now = new Date()): Promise<boolean> {
  const hot = hotSqlOf(tx);
  if (hot?.dialect === "postgresql") {
    // One statement (one round trip): a new window, or one more in this one unless the limit is reached (no row then).
    const cutoff = sqliteDate(new Date(now.getTime() - windowMs));
    const counted = await hot.get(
      `INSERT INTO "RateCounter" AS r ("key", "windowStart", "count") VALUES (?, ?, 1) ON CONFLICT ("key") DO UPDATE SET ` +
        `"windowStart" = CASE WHEN r."windowStart" <= ? THEN excluded."windowStart" ELSE r."windowStart" END, ` +
        `"count" = CASE WHEN r."windowStart" <= ? THEN 1 ELSE r."count" + 1 END ` +
        `WHERE r."windowStart" <= ? OR r."count" < ? RETURNING r."count"`,
      key,
      sqliteDate(now),
      cutoff,
      cutoff,
      cutoff,
      limit,
    );
    return counted !== undefined;
  }
  if (hot) {
    const raw = await hot.get<{ windowStart: string; count: number }>(`SELECT "windowStart", "count" FROM "RateCounter" WHERE "key" = ?`, key);
    if (!raw || now.getTime() - readDate(raw.windowStart)!.getTime() >= windowMs) {
      await hot.run(
        `INSERT INTO "RateCounter" ("key", "windowStart", "count") VALUES (?, ?, 1) ON CONFLICT ("key") DO UPDATE SET "windowStart" = excluded."windowStart", "count" = 1`,
        key,
        sqliteDate(now),
      );
      return true;
    }
    if (raw.count >= limit) return false;
    await hot.run(`UPDATE "RateCounter" SET "count" = "count" + 1 WHERE "key" = ?`, key);
    return true;
  }
  const row = await tx.rateCounter.findUnique({ where: { key } });
  if (!row || now.getTime() - row.windowStart.getTime() >= windowMs) {
    await tx.rateCounter.upsert({ where: { key }, create: { key, windowStart: now, count: 1 }, update: { windowStart: now, count: 1 } });
    return true;
  }
  if (row.count >= limit) return false;
  await tx.rateCounter.update({ where: { key }, data: { count: { increment: 1 } } });
  return true;
}

/**
 * The rate counter key of one person's limit (`name`: "msg", "tips" …): the chat as a keyed handle.
 * A counter's window starts at the person's action — the first tip of the hour starts at the tip's
 * receipt — so a key naming the chat would link it to the tip for a reader of the database.
 */
export function personRateKey(sealer: Sealer, name: string, chatId: string): string {
  return `${name}:${sealer.handle(chatId, "rate")}`;
}
