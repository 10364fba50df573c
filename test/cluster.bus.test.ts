import crypto from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { TOPICS, type BusMessage } from "../src/cluster/bus.ts";
import { recordEvent } from "../src/core/events/recordEvent.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { PROVIDER } from "./helpers/db.ts";
import { insertTipWithChat } from "./helpers/tipRows.ts";
import { SseReader, WEB_COOKIE } from "./helpers/webChat.ts";

// The bus between instances (src/cluster/bus.ts): in-process on SQLite, LISTEN/NOTIFY on
// PostgreSQL. A tip change is announced once committed; with two instances on one PostgreSQL
// database, a web chat page connected to one gets the replies sent by the other.

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

describe("the bus", () => {
  it("announces a committed change to a tip (tips.changed), not one rolled back", async () => {
    const t = await startTestApp({ referenceData: true });
    cleanups.push(() => t.close());
    const got: BusMessage[] = [];
    t.app.bus.subscribe(TOPICS.tipsChanged, (m) => got.push(m));
    const tip = await insertTipWithChat(t, { code: "TM-BUS2345", queueId: "national:VN", platformChatId: "424242" });
    // Rolled back: never announced.
    await t.db
      .$transaction(async (tx) => {
        await recordEvent(tx, { action: "tip.noted", actor: { kind: "system" }, tipId: tip.id });
        throw new Error("rolled back");
      })
      .catch(() => {});
    await t.db.$transaction(async (tx) => recordEvent(tx, { action: "tip.claimed", actor: { kind: "system" }, tipId: tip.id }));
    await eventually(() => got.length > 0, 10_000, "tips.changed");
    expect(got.map((m) => m.body)).toEqual([{ tipId: tip.id, action: "tip.claimed" }]);
  });
});

describe.runIf(PROVIDER === "postgresql")("two instances on one PostgreSQL", () => {
  it("a web chat page connected to one instance gets, live, the replies the other instance sends", async () => {
    const sealingKey = crypto.randomBytes(32);
    const a: TestApp = await startTestApp({ referenceData: true, sealingKey });
    cleanups.push(() => a.close());
    const b = await startTestApp({ databaseUrl: a.databaseUrl, sealingKey });
    cleanups.push(() => b.stopOnly());
    // The first instance took the roles: it alone sends the web chat's messages.
    expect(a.app.cluster.has("sender:web")).toBe(true);
    expect(b.app.cluster.has("sender:web")).toBe(false);
    expect(a.app.cluster.has("leader") && !b.app.cluster.has("leader")).toBe(true);

    // The page and its stream on B; its messages posted to A (a round-robin load balancer).
    const page = await fetch(`${b.url}/`);
    const sid = new RegExp(`${WEB_COOKIE}=([^;]+)`).exec(page.headers.get("set-cookie") ?? "")![1]!;
    const headers = { cookie: `${WEB_COOKIE}=${sid}` };
    const stream = await SseReader.open(`${b.url}/api/chat/events`, headers);
    cleanups.push(() => stream.close());
    await stream.waitFor((r) => r.events.some((e) => e.event === "ready"));
    for (const [i, base] of [a.url, b.url, a.url].entries()) {
      const before = stream.messages().length;
      const res = await fetch(`${base}/api/chat/messages`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ id: `cluster-bus-${i}-${crypto.randomBytes(4).toString("hex")}`, type: "text", text: "/help" }),
      });
      expect(res.status).toBe(202);
      await stream.waitFor((r) => r.messages().length > before, 15_000, `the reply to message ${i}`);
    }
    // Marked sent by A once B has acknowledged the page got it: the page may see the reply just before.
    await eventually(async () => (await a.db.outboxMessage.count({ where: { channel: "web", status: "sent" } })) >= 3 || undefined, 10_000, "the three replies marked sent by A");
    // Delivered once each, in order (ids ascending, none repeated).
    const ids = stream.messages().map((m) => m.id);
    expect(ids).toEqual([...new Set(ids)].sort((x, y) => x - y));
  });
});
