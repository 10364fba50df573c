import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Channel } from "../src/channels/contract.ts";
import { webIncoming, webUpdateKey } from "../src/channels/web/inbound.ts";
import { FakeTelegramApi, tgCommand } from "./fakes/telegramApi.ts";
import { FakeZaloApi, zaloText } from "./fakes/zaloApi.ts";
import { eventually, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { WEB_COOKIE, jpegWithMetadata } from "./helpers/webChat.ts";
import { chatKeyOf } from "../src/channels/web/session.ts";

const metric = async (t: TestApp, name: string, channel: string): Promise<number> => {
  const text = await t.app.metrics.registry.getSingleMetricAsString(name);
  const line = text.split("\n").find((l) => l.includes(`channel="${channel}"`) && !l.startsWith("#"));
  return line ? Number(line.split(" ").at(-1)) : 0;
};

/** Every part a configured channel has, checked by behaviour rather than presence alone. */
async function expectFullChannel(c: Channel, sample: { raw: string; body: unknown } | undefined) {
  expect(typeof c.name).toBe("string");
  // Stored updates: garbage is not read as an update; the channel's own stored form is.
  expect(c.inbound, `${c.name}: inbound`).toBeDefined();
  expect(c.inbound!.parse({ nonsense: true })).toBeUndefined();
  // Replies are drawn as the channel's calls, in the person's language.
  const rendered = c.renderer!.render({ key: "common:menu.prompt" }, "vi");
  expect(rendered.calls.length, `${c.name}: renderer`).toBeGreaterThan(0);
  expect(JSON.stringify(rendered.calls), `${c.name}: renderer`).toContain("Bạn muốn làm gì?");
  // Delivery: a sender and the platform's limits.
  expect(typeof c.delivery?.sender.send, `${c.name}: sender`).toBe("function");
  expect(typeof c.delivery?.limiter.stop, `${c.name}: limiter`).toBe("function");
  if (!sample) return;
  // The boundary check keys an update to store, and the stored body parses back.
  const verdict = c.receive!(sample.raw, sample.body);
  expect(verdict.ok, `${c.name}: receive`).toBe(true);
  if (verdict.ok) {
    expect(verdict.update.channel).toBe(c.name);
    expect(c.inbound!.parse(JSON.parse(verdict.update.payload))).toBeDefined();
  }
  expect(c.receive!("[]", [])).toMatchObject({ ok: false, reason: "not_an_update" });
}

describe("every channel implements the contract", () => {
  let tg: FakeTelegramApi;
  let zalo: FakeZaloApi;
  let t: TestApp;
  beforeAll(async () => {
    tg = new FakeTelegramApi();
    zalo = new FakeZaloApi();
    await tg.listen();
    await zalo.listen();
    t = await startTestApp({ telegram: tg, zalo, env: { INBOX_MAX_ATTEMPTS: "5" } });
  });
  afterAll(async () => {
    await t.close();
    await tg.close();
    await zalo.close();
  });

  it("telegram, zalo and web are registered, each with every part it can run", async () => {
    const channels = t.app.channels;
    expect(channels.all.map((c) => c.name)).toEqual(["telegram", "zalo", "web"]);
    const tgUpdate = tgCommand(501, "start");
    await expectFullChannel(channels.get("telegram")!, { raw: JSON.stringify(tgUpdate), body: tgUpdate });
    const zaloUpdate = zaloText("u-501", "xin chào");
    await expectFullChannel(channels.get("zalo")!, { raw: JSON.stringify(zaloUpdate), body: zaloUpdate });
    const web = channels.get("web")!;
    await expectFullChannel(web, undefined);
    const stored = webIncoming("w:" + "a".repeat(32), webUpdateKey(t.sealer, "w:" + "a".repeat(32), "m1"), { type: "text", text: "chào" });
    expect(web.inbound!.parse(JSON.parse(stored.payload))).toMatchObject({ channel: "web", input: { type: "text", text: "chào" } });

    // The platforms arrive by webhook (registered with the platform, secret checked); the web chat by its own routes.
    for (const name of ["telegram", "zalo"]) {
      const c = channels.get(name)!;
      expect(c.webhook?.secret).toBeTruthy();
      expect(typeof c.webhook?.register).toBe("function");
      expect(c.poller).toBeUndefined(); // PUBLIC_URL is set: webhooks, not polling
      expect((await fetch(`${t.url}${c.webhook!.path}`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).status).toBe(401);
    }
    expect(tg.callsTo("setWebhook").length).toBe(1);
    expect(zalo.callsTo("setWebhook").length).toBe(1);
    expect(web.webhook).toBeUndefined();
    expect(web.poller).toBeUndefined();
    expect(typeof web.routes).toBe("function");
    // Officers work in Telegram: its renderer draws their cards.
    expect(channels.officers?.name).toBe("telegram");
  });

  it("an update stored under a channel no one has is parked at once with a clear reason; the others go on", async () => {
    const row = await t.db.inboxUpdate.create({
      data: { channel: "carrier-pigeon", updateKey: "1", chatKey: "coop", seq: 1n, payload: "{}", nextAttemptAt: new Date(), receivedAt: new Date() },
    });
    t.app.worker.add([{ id: row.id, channel: row.channel, chatKey: row.chatKey, seq: row.seq }]);
    const parked = await eventually(async () => {
      const r = await t.db.inboxUpdate.findUnique({ where: { id: row.id } });
      return r?.status === "parked" ? r : undefined;
    });
    expect(parked.attempts).toBe(1); // not retried: no retry can help
    expect(parked.lastError).toContain('no channel named "carrier-pigeon"');
    expect(await metric(t, "taimat_updates_parked_total", "carrier-pigeon")).toBe(1);

    // The service still answers the known channels.
    const before = tg.delivered(502).length;
    await tg.pushUpdate(tgCommand(502, "start"));
    await eventually(() => tg.delivered(502).length > before, 10_000, "the /start answer");
    await waitIdle(t);
  });

  it("web photos go through the ingest: counted as received, a retry counted as a duplicate, one inbox row", async () => {
    const page = await fetch(`${t.url}/`);
    const sid = new RegExp(`${WEB_COOKIE}=([^;]+)`).exec(page.headers.get("set-cookie") ?? "")?.[1];
    expect(sid).toBeTruthy();
    const received = await metric(t, "taimat_updates_received_total", "web");
    const duplicates = await metric(t, "taimat_updates_deduplicated_total", "web");
    const id = crypto.randomBytes(8).toString("hex");
    const photo = await jpegWithMetadata();
    const send = () => fetch(`${t.url}/api/chat/uploads?id=${id}`, { method: "POST", headers: { cookie: `${WEB_COOKIE}=${sid}`, "content-type": "image/jpeg" }, body: photo });
    const first = await send();
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ ok: true, duplicate: false });
    expect(await metric(t, "taimat_updates_received_total", "web")).toBe(received + 1);
    const again = await send();
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    expect(await metric(t, "taimat_updates_deduplicated_total", "web")).toBe(duplicates + 1);
    const chatKey = chatKeyOf(sid!);
    const key = webUpdateKey(t.sealer, chatKey, id);
    expect(await t.db.inboxUpdate.count({ where: { channel: "web", updateKey: key } })).toBe(1);
    expect(await t.db.upload.count()).toBe(1);
    await waitIdle(t);
  });
});

describe("the service dispatches without naming channels", () => {
  it("src/app.ts and src/inbox/ compare no channel name (the registry finds channels by name)", () => {
    const dir = path.join(import.meta.dirname, "..", "src");
    const files = ["app.ts", ...fs.readdirSync(path.join(dir, "inbox")).map((f) => path.join("inbox", f))];
    for (const file of files) {
      const code = fs.readFileSync(path.join(dir, file), "utf8");
      expect(code.match(/["'`](telegram|zalo|web)["'`]/g) ?? [], file).toEqual([]);
    }
  });
});

describe("a platform without its token", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({});
  });
  afterAll(async () => t.close());

  it("keeps only its webhook route, answering 503, and cannot process or send", async () => {
    const telegram = t.app.channels.get("telegram")!;
    expect(telegram.webhook?.secret).toBeUndefined();
    expect(telegram.inbound).toBeUndefined();
    expect(telegram.delivery).toBeUndefined();
    expect(telegram.renderer).toBeUndefined();
    expect(t.app.channels.officers).toBeUndefined();
    expect((await fetch(`${t.url}/webhooks/telegram`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).status).toBe(503);
    // Zalo's stored events can still be read (rows stored while it was configured); it cannot send.
    const zalo = t.app.channels.get("zalo")!;
    expect(zalo.inbound).toBeDefined();
    expect(zalo.delivery).toBeUndefined();
    expect(zalo.webhook?.register).toBeUndefined();
  });
});
