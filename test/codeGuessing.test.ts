import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { redeemGuardedCode, type CodeAlertKind, type CodeGuessLimits } from "../src/core/officers/codeAttempts.ts";
import { handleGroupMessage, type OfficerDeps } from "../src/core/officers/groupTurn.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import type { Db } from "../src/db/client.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createTranslator } from "../src/i18n.ts";
import { Sealer } from "../src/security/sealing.ts";
import { FakeTelegramApi, tgCommand, type FakeCall } from "./fakes/telegramApi.ts";
import { makeCode, revokeAsAdmin, seedOfficer } from "./helpers/officers.ts";
import { FAST_RATES, startTestApp, testPlaces, type TestApp } from "./helpers/app.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

const t = createTranslator().t;
const renderer = new TelegramRenderer(t);
const MINUTE = 60_000;

let tdb: TestDatabase;
let db: Db;
let adminChatId: string;
let officerChatId: string;
const alerts: Array<{ kind: CodeAlertKind; failures: number; reachedAdmins: number }> = [];

function deps(codeGuess?: CodeGuessLimits): OfficerDeps {
  return {
    sealer: new Sealer([crypto.randomBytes(32)]),
    places: undefined as never,
    t,
    officerRenderer: renderer,
    renderers: { telegram: renderer },
    codeGuess,
    onCodeAlert: (a) => alerts.push({ kind: a.kind, failures: a.failures, reachedAdmins: a.reachedAdmins }),
  };
}

const invite = () => makeCode(db, { purpose: "officer_invite", role: "officer", scopeKind: "commune", scopeCode: "00004" });
const attempt = (user: string, code: string, now: Date, d = deps()) =>
  db.$transaction((tx) => redeemGuardedCode(tx, d, { code, purpose: "officer_invite", telegramUserId: user, usedBy: `telegram-user:${user}`, now }));
const alertTexts = async (chatId: string) =>
  (await db.outboxMessage.findMany({ where: { chatId }, orderBy: { id: "asc" } })).map((m) => String(JSON.parse(m.payload).text));
const isUnused = async (code: string) =>
  (await db.oneTimeCode.findFirstOrThrow({ where: { codeHash: crypto.createHash("sha256").update(code.replace("-", "")).digest("hex") } })).usedAt === null;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  // Who is alerted: an active administrator with a private chat. Not a revoked one, not a commander.
  adminChatId = (await db.chat.create({ data: { channel: "telegram", platformChatId: "4001", kind: "private", locale: "en" } })).id;
  const revokedChat = (await db.chat.create({ data: { channel: "telegram", platformChatId: "4002", kind: "private" } })).id;
  officerChatId = (await db.chat.create({ data: { channel: "telegram", platformChatId: "4003", kind: "private" } })).id;
  await db.$transaction(async (tx) => {
    await seedOfficer(tx, { telegramUserId: "4001", role: "admin", scopeKind: "national", scopeCode: "VN", privateChatId: adminChatId });
    await seedOfficer(tx, { telegramUserId: "4002", role: "admin", scopeKind: "national", scopeCode: "VN", privateChatId: revokedChat });
    await revokeAsAdmin(tx, { telegramUserId: "4002" });
    await seedOfficer(tx, { telegramUserId: "4003", role: "commander", scopeKind: "province", scopeCode: "01", privateChatId: officerChatId });
  });
});
afterAll(async () => {
  await tdb?.drop();
});

describe("guessing one-time codes (core, real database)", () => {
  it("an account with 5 wrong codes in 15 minutes is refused unchecked — even a valid code — until the window passes; admins are alerted once", async () => {
    const start = new Date("2026-03-02T03:00:00Z");
    alerts.length = 0;
    for (let i = 0; i < 5; i++) {
      const r = await attempt("5001", `ZZZZ-ZZ${i}Z`, new Date(start.getTime() + i * MINUTE));
      expect(r).toMatchObject({ ok: false, reason: "wrong" });
    }
    const valid = await invite();
    const limited = await attempt("5001", valid, new Date(start.getTime() + 6 * MINUTE));
    expect(limited).toMatchObject({ ok: false, reason: "limited", retryMinutes: 15 });
    expect(await isUnused(valid)).toBe(true); // not even looked at
    // More attempts add refusals, not failures, and no second alert.
    await attempt("5001", "ABCD-EFGH", new Date(start.getTime() + 7 * MINUTE));
    expect(await db.auditEvent.count({ where: { action: "auth.code_failed", actor: "telegram-user:5001" } })).toBe(5);
    const refusals = await db.auditEvent.findMany({ where: { action: "auth.refused", actor: "telegram-user:5001" } });
    expect(refusals.map((r) => JSON.parse(r.data))).toEqual([
      { action: "code.officer_invite", reason: "guess_limit_account" },
      { action: "code.officer_invite", reason: "guess_limit_account" },
    ]);
    expect(alerts).toEqual([{ kind: "account", failures: 5, reachedAdmins: 1 }]);
    const texts = await alertTexts(adminChatId);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toBe(t("en", "officer:alert.codes_account", { user: "5001", failures: 5, minutes: 15 }));
    expect(texts[0]).toContain("Telegram account 5001 entered 5 wrong");
    expect(await alertTexts(officerChatId)).toEqual([]);

    // Another account is not affected; the valid code still works for it.
    expect(await attempt("5002", valid, new Date(start.getTime() + 8 * MINUTE))).toMatchObject({ ok: true });
    // Once the window has passed, the first account's codes are checked again.
    expect(await attempt("5001", "ABCD-EFGH", new Date(start.getTime() + 20 * MINUTE))).toMatchObject({ ok: false, reason: "wrong" });
  });

  it("wrong codes from many accounts: a burst alerts the admins once; past the global budget every attempt is refused unchecked", async () => {
    const limits: CodeGuessLimits = { perAccount: 5, global: 8, alertAt: 6, windowMinutes: 15 };
    const d = deps(limits);
    const start = new Date("2026-03-03T03:00:00Z");
    alerts.length = 0;
    const before = (await alertTexts(adminChatId)).length;
    for (let i = 0; i < 8; i++) {
      const r = await attempt(`61${String(i).padStart(2, "0")}`, "WXYZ-WXYZ", new Date(start.getTime() + i * 10_000), d);
      expect(r).toMatchObject({ ok: false, reason: "wrong" });
    }
    expect(alerts).toEqual([{ kind: "burst", failures: 6, reachedAdmins: 1 }]);
    const texts = (await alertTexts(adminChatId)).slice(before);
    expect(texts).toEqual([t("en", "officer:alert.codes_burst", { failures: 6, minutes: 15, limit: 8 })]);

    const valid = await invite();
    expect(await attempt("6200", valid, new Date(start.getTime() + 2 * MINUTE), d)).toMatchObject({ ok: false, reason: "limited" });
    expect(await isUnused(valid)).toBe(true);
    const refused = await db.auditEvent.findFirstOrThrow({ where: { action: "auth.refused", actor: "telegram-user:6200" } });
    expect(JSON.parse(refused.data).reason).toBe("guess_limit_global");
    // Limits live in the database: a fresh set of dependencies (another instance, a restart) sees the same.
    expect(await attempt("6201", valid, new Date(start.getTime() + 3 * MINUTE), deps(limits))).toMatchObject({ ok: false, reason: "limited" });
    // After the window, codes are checked again.
    expect(await attempt("6200", valid, new Date(start.getTime() + 16 * MINUTE), d)).toMatchObject({ ok: true });
  });

  it("with no administrator reachable in private the alert still reaches the log and metric hook, and is recorded", async () => {
    await db.officer.update({ where: { telegramUserId: "4001" }, data: { privateChatId: null } });
    try {
      alerts.length = 0;
      const start = new Date("2026-03-04T03:00:00Z");
      for (let i = 0; i < 5; i++) await attempt("7001", "QQQQ-QQQQ", new Date(start.getTime() + i * 1000));
      expect(alerts).toEqual([{ kind: "account", failures: 5, reachedAdmins: 0 }]);
      const recorded = await db.auditEvent.findFirstOrThrow({ where: { action: "auth.code_alert", actor: "telegram-user:7001" } });
      expect(JSON.parse(recorded.data)).toEqual({ kind: "account", failures: 5, admins: 0 });
    } finally {
      await db.officer.update({ where: { telegramUserId: "4001" }, data: { privateChatId: adminChatId } });
    }
  });

  it("/bind CODE: an administrator's wrong codes count too; past the limit a valid code is refused and the queue stays unbound", async () => {
    await loadReferenceData(db);
    await ensureQueues(db);
    const d = { ...deps(), places: await testPlaces() };
    const group = await db.chat.create({ data: { channel: "telegram", platformChatId: "-4100", kind: "group" } });
    await db.$transaction((tx) => seedOfficer(tx, { telegramUserId: "8001", role: "admin", scopeKind: "national", scopeCode: "VN" }));
    const say = async (text: string) => {
      const refs = await db.$transaction((tx) => handleGroupMessage(tx, d, { group, telegramUserId: "8001", displayName: "admin", text }));
      return (await db.outboxMessage.findMany({ where: { id: { in: refs.map((r) => r.id) }, chatId: group.id } })).map((m) => String(JSON.parse(m.payload).text));
    };
    for (let i = 0; i < 5; i++) expect(await say(`/bind HHHH-HHH${i + 2}`)).toEqual([t("vi", "officer:admin.bad_bind_code")]);
    const valid = await makeCode(db, { purpose: "group_bind", queueId: "commune:00004" });
    expect(await say(`/bind ${valid}`)).toEqual([t("vi", "officer:admin.codes_limited", { minutes: 15 })]);
    expect((await db.queue.findUniqueOrThrow({ where: { id: "commune:00004" } })).groupChatId).toBeNull();
    expect(await db.auditEvent.count({ where: { action: "auth.code_failed", actor: "telegram-user:8001", via: group.id } })).toBe(5);
  });
});

describe("guessing invitation codes through the Telegram fake", () => {
  const ADMIN = 9501;
  const GUESSER = 9502;
  let tg: FakeTelegramApi;
  let app: TestApp;
  const text = (c: FakeCall) => String(c.payload.text ?? "");

  beforeAll(async () => {
    tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
    await tg.listen();
    app = await startTestApp({ telegram: tg, env: FAST_RATES, referenceData: true });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await tg?.close();
  });

  async function privateSays(userId: number, args: string) {
    const before = tg.delivered(userId).length;
    await tg.pushUpdate(tgCommand(userId, "/start", args));
    return text((await tg.waitFor(() => tg.delivered(userId)[before], 10_000))!);
  }

  it("the sixth /start CODE from one account is refused without checking; the administrator is alerted in private; the metric counts it", async () => {
    const adminInvite = await makeCode(app.db, { purpose: "officer_invite", role: "admin", scopeKind: "national", scopeCode: "VN" });
    expect(await privateSays(ADMIN, adminInvite)).toContain("Bạn đã được đăng ký là quản trị");
    for (let i = 0; i < 5; i++) expect(await privateSays(GUESSER, `K7PM-3QX${"ABCDE"[i]}`)).toBe("Mã mời không đúng, đã dùng hoặc đã hết hạn.");
    const alert = await tg.waitFor(() => tg.delivered(ADMIN).find((c) => text(c).includes("Cảnh báo an ninh")), 10_000);
    expect(text(alert)).toContain(`tài khoản Telegram ${GUESSER} đã nhập sai mã mời / mã gắn nhóm 5 lần trong 15 phút`);

    const valid = await makeCode(app.db, { purpose: "officer_invite", role: "officer", scopeKind: "commune", scopeCode: "00004" });
    expect(await privateSays(GUESSER, valid)).toBe("Đã nhập sai mã quá nhiều lần. Vui lòng thử lại sau 15 phút hoặc liên hệ quản trị viên.");
    expect(await app.db.officer.findUnique({ where: { telegramUserId: String(GUESSER) } })).toBeNull();
    expect(tg.delivered(ADMIN).filter((c) => text(c).includes("Cảnh báo an ninh"))).toHaveLength(1);
    const metrics = await app.app.metrics.registry.getSingleMetricAsString("taimat_code_guess_alerts_total");
    expect(metrics).toContain('taimat_code_guess_alerts_total{kind="account"} 1');
  });
});
