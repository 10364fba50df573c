import { execFile } from "node:child_process";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { ReaderWatch } from "../src/core/tips/readerWatch.ts";
import { createTranslator } from "../src/i18n.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/metrics.ts";
import { FakeTelegramApi, type FakeCall } from "./fakes/telegramApi.ts";
import { seedBinding } from "./helpers/officers.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { TelegramTipster } from "./helpers/tipster.ts";

const run = promisify(execFile);
const FAST = { TELEGRAM_RATE_PRIVATE_PER_SECOND: "50", TELEGRAM_RATE_PRIVATE_BURST: "50", TELEGRAM_RATE_GROUP_PER_MINUTE: "3000" };
const NATIONAL_GROUP = -3001;
const CYBER_GROUP = -3002;
const LEGAL_GROUP = -3003;
const HOAN_KIEM_GROUP = -3004;

let tg: FakeTelegramApi;
let t: TestApp;
beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  t = await startTestApp({ telegram: tg, env: FAST, referenceData: true });
});
afterAll(async () => {
  await t.close();
  await tg.close();
});

const text = (c: FakeCall) => String(c.payload.text ?? "");

async function bind(queueId: string, groupId: number) {
  const renderer = new TelegramRenderer(createTranslator().t);
  const refs = await t.db.$transaction(async (tx) => {
    const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(groupId), kind: "group" } });
    return seedBinding(tx, renderer, { queueId, groupChatId: chat.id });
  });
  t.app.sender.notify(refs);
}

async function metric(name: string): Promise<number> {
  const body = await (await fetch(`${t.url}/metrics`)).text();
  const line = body.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ").at(-1)) : NaN;
}

async function health(): Promise<{ code: number; body: { status: string; reason?: string } }> {
  const res = await fetch(`${t.url}/healthz`);
  return { code: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

/** A life-safety online-fraud tip in Phường Hoàn Kiếm (its province's cyber unit gets an info-only copy). */
async function lifeSafetyFraudTip(p: TelegramTipster): Promise<{ code: string; receipt: string }> {
  await p.command("/start");
  await p.press("data:lang:vi");
  await p.press("Báo tin tội phạm");
  await p.press("Lừa đảo qua mạng");
  await p.press("Có, đang nguy hiểm");
  await p.say("Phường Hoàn Kiếm");
  const next = await p.press("Hôm nay");
  if (next.text.includes("Gõ «bỏ qua»")) await p.say("bỏ qua");
  await p.say("Họ giữ em tôi trong nhà và bắt chuyển tiền, đang đe doạ.");
  await p.press("Xong");
  await p.press("Ẩn danh");
  const receipt = (await p.press("Gửi tin báo")).text;
  return { code: /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(receipt)![1]!, receipt };
}

describe("no tip without a reader", () => {
  it("a tip no group can show is not called sent, raises the metric and /healthz, is listed by queue:unbound, and appears at once when a group is bound", async () => {
    const p = new TelegramTipster(tg, 9401);
    const { code, receipt } = await lifeSafetyFraudTip(p);
    expect(receipt).not.toContain("Đã gửi tin báo đến");
    expect(receipt).toContain("sẽ được chuyển đến Công an phường Hoàn Kiếm");
    expect(receipt).toContain("gọi ngay 113");

    expect(await metric("taimat_tips_without_group")).toBe(1);
    expect(await metric('taimat_waiting_without_group{kind="info_copy"}')).toBe(1);
    const degraded = await health();
    expect(degraded.code).toBe(200);
    expect(degraded.body.status).toBe("degraded");
    expect(degraded.body.reason).toContain("1 tip(s)");

    // A legal question with no legal staff group: kept, and the asker is told so.
    const q = new TelegramTipster(tg, 9402);
    await q.command("/start");
    await q.press("data:lang:vi");
    await q.press("data:menu:ask");
    const question = "Nuôi chim yến trong nhà phố có cần xin giấy phép không?";
    await q.say(question);
    const handed = await q.press("Gửi cho cán bộ pháp lý");
    expect(handed.text).not.toContain("Đã gửi câu hỏi của bạn");
    expect(handed.text).toContain("sẽ được chuyển đến cán bộ pháp lý");
    await eventually(async () => (await metric('taimat_waiting_without_group{kind="legal_question"}')) === 1, 10_000, "question counted");

    const env = { ...process.env, DATABASE_URL: t.databaseUrl, LOG_LEVEL: "silent" };
    const listed = (await run(process.execPath, ["--import", "tsx", "src/cli/admin.ts", "queue:unbound"], { env, cwd: process.cwd() })).stdout;
    expect(listed).toMatch(/commune:00070\t1\t0\t0\tCông an phường Hoàn Kiếm/);
    expect(listed).toMatch(/cyber:01\t0\t1\t0\t/);
    expect(listed).toMatch(/legal:VN\t0\t0\t1\t/);

    // The national fall-back group gets the waiting tip's working card at once.
    await bind("national:VN", NATIONAL_GROUP);
    const card = await eventually(() => tg.delivered(NATIONAL_GROUP).find((c) => text(c).includes(code)), 10_000, "card in the national group");
    expect(text(card)).toContain("⚠️");
    expect(await metric("taimat_tips_without_group")).toBe(0);
    expect((await health()).body.status).toBe("degraded"); // the copy and the question still wait

    await bind("cyber:01", CYBER_GROUP);
    await eventually(() => tg.delivered(CYBER_GROUP).find((c) => text(c).includes(code) && text(c).includes("BẢN SAO ĐỂ BIẾT")), 10_000, "info copy");
    await bind("legal:VN", LEGAL_GROUP);
    await eventually(() => tg.delivered(LEGAL_GROUP).find((c) => text(c).includes(question)), 10_000, "question card");
    await eventually(async () => (await health()).body.status === "ok", 10_000, "healthy again");
    expect(await health()).toEqual({ code: 200, body: { status: "ok", database: "ok" } });
    expect(await metric('taimat_waiting_without_group{kind="legal_question"}')).toBe(0);

    // Binding the commune's own group later moves the working card there.
    await bind("commune:00070", HOAN_KIEM_GROUP);
    await eventually(() => tg.delivered(HOAN_KIEM_GROUP).find((c) => text(c).includes(code)), 10_000, "card in the commune group");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { cards: true } });
    expect(tip.cards.filter((c) => c.kind === "main" && c.active)).toHaveLength(1);

    // With a group bound, the next tip's receipt says it was sent.
    const second = await lifeSafetyFraudTip(new TelegramTipster(tg, 9403));
    expect(second.receipt).toContain("Đã gửi tin báo đến Công an phường Hoàn Kiếm.");
  });

  it("logs an error naming the waiting queues, again when the count changes, and says when all have reached a group", async () => {
    const lines: Array<{ level: number; msg: string; tips?: number; queues?: string[] }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).trim().split("\n")) lines.push(JSON.parse(l));
        done();
      },
    });
    const watch = new ReaderWatch(t.db, new Metrics(), createLogger("info", [], sink), 0);
    await watch.check();
    expect(lines).toHaveLength(0); // nothing waits after the first test bound every group
    const queue = await t.db.queue.update({ where: { id: "commune:00070" }, data: { groupChatId: null } });
    const duty = await t.db.queue.findUniqueOrThrow({ where: { id: "province:01" } });
    expect(duty.groupChatId).toBeNull();
    const nationalGroup = await t.db.queue.findUniqueOrThrow({ where: { id: "national:VN" } });
    await t.db.queue.update({ where: { id: "national:VN" }, data: { groupChatId: null } });
    await t.db.tipCard.updateMany({ where: { queueId: queue.id }, data: { active: false } });
    await t.db.tipCard.updateMany({ where: { queueId: "national:VN" }, data: { active: false } });
    const snapshot = await watch.check();
    expect(snapshot.tips).toBe(2);
    await eventually(() => lines.find((l) => l.level === 50), 5_000, "error line");
    expect(lines[0]).toMatchObject({ level: 50, tips: 2, queues: ["commune:00070"] });
    await watch.check();
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1); // unchanged: not repeated at once
    await t.db.queue.update({ where: { id: "national:VN" }, data: { groupChatId: nationalGroup.groupChatId } });
    await t.db.tipCard.updateMany({ where: { queueId: queue.id }, data: { active: true } });
    await watch.check();
    await eventually(() => lines.find((l) => l.level === 30 && l.msg.includes("reached a group")), 5_000, "all clear");
  });
});
