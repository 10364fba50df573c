import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi, tgPrivateText } from "./fakes/telegramApi.ts";
import { startTestApp, TG_SECRET, type TestApp } from "./helpers/app.ts";
import { PROVIDER } from "./helpers/db.ts";

/**
 * The acknowledgement contract of the webhook route, whatever the group commit does: a 200 is sent
 * only once the update is committed (another connection sees it when the 200 arrives), and a write
 * that fails is never acknowledged (no 200; nothing of its batch stored; the redelivery is stored once).
 */

const HEADERS = { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET };

async function post(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/webhooks/telegram`, { method: "POST", body, headers: HEADERS });
  await res.text();
  return res.status;
}

/** Counts the rows of one Telegram update through a connection of its own (committed data only). */
interface Reader {
  count(updateKey: string): Promise<number>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function openReader(databaseUrl: string): Promise<Reader> {
  if (PROVIDER === "postgresql") {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return {
      async count(updateKey) {
        const r = await client.query(`SELECT COUNT(*)::int AS n FROM "InboxUpdate" WHERE "channel" = 'telegram' AND "updateKey" = $1`, [updateKey]);
        return (r.rows[0] as { n: number }).n;
      },
      async exec(sql) {
        await client.query(sql);
      },
      close: () => client.end(),
    };
  }
  const file = databaseUrl.replace(/^file:/, "");
  const db = new Database(file, { fileMustExist: true });
  db.pragma("busy_timeout = 10000");
  const count = db.prepare(`SELECT COUNT(*) AS n FROM "InboxUpdate" WHERE "channel" = 'telegram' AND "updateKey" = ?`);
  return {
    count: async (updateKey) => (count.get(updateKey) as { n: number }).n,
    exec: async (sql) => void db.exec(sql),
    close: async () => void db.close(),
  };
}

/** A trigger that makes the INSERT of any update whose body contains `marker` fail (the whole transaction with it). */
function poisonTrigger(marker: string): string {
  if (PROVIDER === "postgresql") {
    return `CREATE FUNCTION inbox_poison() RETURNS trigger AS $$ BEGIN
        IF NEW."payload" LIKE '%${marker}%' THEN RAISE EXCEPTION 'injected write failure'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER inbox_poison BEFORE INSERT ON "InboxUpdate" FOR EACH ROW EXECUTE FUNCTION inbox_poison();`;
  }
  return `CREATE TRIGGER inbox_poison BEFORE INSERT ON "InboxUpdate" WHEN NEW."payload" LIKE '%${marker}%'
      BEGIN SELECT RAISE(ABORT, 'injected write failure'); END;`;
}

describe("webhook acknowledgements and the inbox commit", () => {
  let tg: FakeTelegramApi;
  let t: TestApp;
  let reader: Reader;
  beforeAll(async () => {
    tg = new FakeTelegramApi();
    await tg.listen();
    // Processing held: the rows stay as stored (nothing here depends on the bot answering).
    t = await startTestApp({ telegram: tg, holdInbox: true });
    reader = await openReader(t.databaseUrl);
  });
  afterAll(async () => {
    await reader?.close();
    await t?.close();
    await tg?.close();
  });

  it("every 200 arrives after its update is committed: another connection sees the row when the 200 arrives", async () => {
    const updates = Array.from({ length: 200 }, (_, i) => tgPrivateText(5_000 + (i % 40), `tin ${i}`));
    const seen = await Promise.all(
      updates.map(async (u) => {
        const status = await post(t.url, JSON.stringify(u));
        return { status, rows: status === 200 ? await reader.count(String(u.update_id)) : -1 };
      }),
    );
    expect(seen.map((s) => s.status)).toEqual(updates.map(() => 200));
    expect(seen.map((s) => s.rows)).toEqual(updates.map(() => 1));
  });

  it("a write that fails is never acknowledged: no 200, nothing of its batch stored, and the redelivery is stored once", async () => {
    await reader.exec(poisonTrigger("POISON-7f3a"));
    try {
      const poisoned = tgPrivateText(5_999, "POISON-7f3a");
      // Sent together with good updates, so some of them share the failing update's group commit.
      const good = Array.from({ length: 60 }, (_, i) => tgPrivateText(6_000 + i, `xin chào ${i}`));
      const all = [poisoned, ...good];
      const statuses = await Promise.all(all.map((u) => post(t.url, JSON.stringify(u))));
      expect(statuses[0]).toBe(500);
      for (const [i, u] of all.entries()) {
        const rows = await reader.count(String(u.update_id));
        // Acknowledged exactly when stored: a 200 means committed; anything else (a 5xx: the platform redelivers) stored nothing.
        if (statuses[i] === 200) expect(rows, `update ${u.update_id} acknowledged`).toBe(1);
        else {
          expect(statuses[i], `update ${u.update_id}`).toBeGreaterThanOrEqual(500);
          expect(rows, `update ${u.update_id} refused`).toBe(0);
        }
      }
      // The platform redelivers what was not acknowledged: now each is stored, once.
      const failed = good.filter((_, i) => statuses[i + 1] !== 200);
      expect(await Promise.all(failed.map((u) => post(t.url, JSON.stringify(u))))).toEqual(failed.map(() => 200));
      for (const u of good) expect(await reader.count(String(u.update_id))).toBe(1);
      expect(await reader.count(String(poisoned.update_id))).toBe(0);
    } finally {
      await reader.exec(PROVIDER === "postgresql" ? "DROP TRIGGER inbox_poison ON \"InboxUpdate\"; DROP FUNCTION inbox_poison();" : "DROP TRIGGER inbox_poison;");
    }
  });
});
