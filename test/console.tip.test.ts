import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../src/core/officers/roles.ts";
import { FakeTelegramApi, TG_TEST_TOKEN, tgShownText, tgUser } from "./fakes/telegramApi.ts";
import { FAST_RATES, eventually, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { bindGroup } from "./helpers/officers.ts";
import { ConsoleClient, csrfIn, fileTipOnTelegram, logIn, seedConsolePerson } from "./helpers/console.ts";
import { TelegramTipster } from "./helpers/tipster.ts";

/*
 * The tip page and the live queue over HTTP, against the real database and the Telegram fake:
 * what the page shows (and never shows: the tipster's identity, the platform's file URL or token),
 * its files streamed through the service, every action form running the same command as the
 * card's button (same event), refusals translated and audited, CSRF, bad addresses; the queue's
 * groups and its narrowing to a unit or an officer.
 */

const GROUP = -2301; // Phường Hoàn Kiếm (commune 00070, Hà Nội 01)
const TIPSTER = 7401;
const CONFIDENTIAL_TIPSTER = 7402;
const PHOTO_ID = "AgACAgUAAxkBAAIBQ2ZzPhotoOfTheDeal01";
const HTML_DOC_ID = "BQACAgUAAxkBAAIBRGZzDocumentHtml02";
const CONTACT = { name: "Lê Thị Mai", phone: "0912345678" };
/** A JPEG's first bytes and some payload (the console decides the type from these bytes, not the platform's). */
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]), Buffer.alloc(4000, 7), Buffer.from([0xff, 0xd9])]);
const HTML_FILE = Buffer.from("<html><script>alert(document.cookie)</script></html>");

interface Person {
  id: number;
  role: Role;
  scopeKind: string;
  scopeCode: string;
  name: string;
}
const P: Record<string, Person> = {
  officer: { id: 6301, role: "officer", scopeKind: "commune", scopeCode: "00070", name: "Trần Thị Lan" },
  officer2: { id: 6302, role: "officer", scopeKind: "commune", scopeCode: "00070", name: "Phạm Văn Hùng" },
  officerOut: { id: 6303, role: "officer", scopeKind: "commune", scopeCode: "00004", name: "Đỗ Minh Quân" },
  commander: { id: 6304, role: "commander", scopeKind: "province", scopeCode: "01", name: "Nguyễn Đức Thắng" },
  farOfficer: { id: 6305, role: "officer", scopeKind: "province", scopeCode: "79", name: "Võ Thanh Tâm" },
};

let tg: FakeTelegramApi;
let t: TestApp;
const logs: string[] = [];
const ids = new Map<string, string>();
const sessions = new Map<string, ConsoleClient>();
let anon: { id: string; code: string };
let conf: { id: string; code: string };

const events = (where: Record<string, unknown>) => t.db.auditEvent.findMany({ where, orderBy: { id: "asc" } });
const tipRow = (id: string) => t.db.tip.findUniqueOrThrow({ where: { id } });
/** The actions a page offers (its forms' data-action), in order. */
const offered = (html: string) => [...html.matchAll(/<form method="post" action="\/console\/tips\/[^"]+\/do\/[a-z_]+" class="action" data-action="([a-z_]+)"/g)].map((m) => m[1]);

/** A resident files a drugs tip in Hoàn Kiếm on Telegram (with a photo and a file, or confidential); returns its id and code. */
async function fileTip(chatId: number, opts: { confidential?: boolean; files?: boolean } = {}) {
  const code = await fileTipOnTelegram(tg, chatId, {
    details: ["Nội dung: thường sau 9 giờ tối, đi xe máy"],
    files: opts.files
      ? async (p) => {
          await p.photo(PHOTO_ID, "Ảnh chụp lúc giao hàng");
          await p.media("document", HTML_DOC_ID);
        }
      : undefined,
    contact: opts.confidential ? CONTACT : undefined,
  });
  return { id: (await t.db.tip.findUniqueOrThrow({ where: { code } })).id, code };
}

/** Everything that would identify a tipster: their Telegram id, username and name, and a confidential contact. */
function identityOf(chatId: number): string[] {
  const u = tgUser(chatId);
  return [String(chatId), u.username!, u.first_name, CONTACT.name, CONTACT.phone];
}

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  tg.addFile(PHOTO_ID, JPEG, "deal.jpg");
  tg.addFile(HTML_DOC_ID, HTML_FILE, "sao-ke.html");
  t = await startTestApp({ telegram: tg, env: FAST_RATES, referenceData: true, logLines: (line) => logs.push(line) });
  await bindGroup(t.db, "commune:00070", GROUP);
  for (const [key, p] of Object.entries(P)) ids.set(key, (await seedConsolePerson(t.db, { telegramUserId: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode, displayName: p.name })).id);
  anon = await fileTip(TIPSTER, { files: true });
  conf = await fileTip(CONFIDENTIAL_TIPSTER, { confidential: true });
  await waitIdle(t);
  for (const key of Object.keys(P)) sessions.set(key, await logIn(t.url, tg, P[key]!.id));
}, 120_000);
afterAll(async () => {
  await t?.close();
  await tg?.close();
});

describe("the tip page", () => {
  it("shows the content, place, legal clock, files, history and the queue links to it; never the tipster's identity", async () => {
    const c = sessions.get("officer")!;
    const queue = await c.get("/console/queue");
    expect(queue.text).toContain(`href="/console/tips/${anon.id}/view"`);
    const page = await c.get(`/console/tips/${anon.id}/view`);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = page.text;
    expect(html).toContain(`Tin báo ${anon.code}`);
    expect(html).toContain("Ma tuý");
    expect(html).toContain("Có người bán ma tuý ở đầu ngõ mỗi tối");
    expect(html).toContain("Phường Hoàn Kiếm, Thành phố Hà Nội");
    expect(html).toContain("21.02870, 105.85240");
    expect(html).toContain("Hôm nay");
    expect(html).toContain("Thông báo tiếp nhận");
    expect(html).toContain("Ra quyết định");
    expect(html).toContain("Ẩn danh");
    // Files: shown through the service's own address, with their captions.
    const files = await t.db.tipAttachment.findMany({ where: { tipId: anon.id }, orderBy: { id: "asc" } });
    expect(files.map((f) => f.kind)).toEqual(["photo", "document"]);
    expect(html).toContain(`<img src="/console/tips/${anon.id}/media/${files[0]!.id}"`);
    expect(html).toContain("Ảnh chụp lúc giao hàng");
    // History in words, the tipster by role only.
    expect(html).toMatch(/Người báo tin: gửi tin báo qua Telegram/);
    for (const secret of [...identityOf(TIPSTER), PHOTO_ID, HTML_DOC_ID, TG_TEST_TOKEN, "/file/bot", tg.apiRoot]) expect(html).not.toContain(secret);
    expect(queue.text).not.toContain(String(TIPSTER));
  });

  it("offers exactly the actions the table allows this person in this state", async () => {
    expect(offered((await sessions.get("officer")!.get(`/console/tips/${anon.id}/view`)).text)).toEqual(["claim", "ask", "note", "priority", "transfer", "classify"]);
    expect(offered((await sessions.get("commander")!.get(`/console/tips/${anon.id}/view`)).text)).toEqual(["claim", "ask", "note", "priority", "transfer", "classify", "close", "extend"]);
    // A confidential tip: a commander may open the contact, an officer may not.
    expect(offered((await sessions.get("commander")!.get(`/console/tips/${conf.id}/view`)).text)).toContain("open_contact");
    expect(offered((await sessions.get("officer")!.get(`/console/tips/${conf.id}/view`)).text)).not.toContain("open_contact");
  });

  it("streams a file through the service: sniffed type, no-store, never the platform's URL or token", async () => {
    const c = sessions.get("officer")!;
    const [photo, doc] = await t.db.tipAttachment.findMany({ where: { tipId: anon.id }, orderBy: { id: "asc" } });
    const downloadsBefore = tg.downloads.length;
    const res = await fetch(`${t.url}/console/tips/${anon.id}/media/${photo!.id}`, { headers: { cookie: c.cookieHeader() }, redirect: "manual" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await res.arrayBuffer()).equals(JPEG)).toBe(true);
    const headers = JSON.stringify([...res.headers]);
    for (const secret of [TG_TEST_TOKEN, "/file/bot", tg.apiRoot, PHOTO_ID]) expect(headers).not.toContain(secret);
    // The service fetched it with the bot's token from Telegram's file server.
    expect(tg.callsTo("getFile").at(-1)!.payload.file_id).toBe(PHOTO_ID);
    expect(tg.downloads.slice(downloadsBefore)).toEqual([{ path: expect.stringContaining("deal.jpg"), status: 200 }]);

    // A file that is really a web page is a download of bytes, never a page of the console.
    const html = await fetch(`${t.url}/console/tips/${anon.id}/media/${doc!.id}`, { headers: { cookie: c.cookieHeader() } });
    expect(html.headers.get("content-type")).toBe("application/octet-stream");
    expect(html.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(html.headers.get("content-security-policy")).toContain("sandbox");
    expect(Buffer.from(await html.arrayBuffer()).equals(HTML_FILE)).toBe(true);

    // Telegram failing: a translated 502; neither the answer nor the log carries the token or the file's URL.
    tg.failNext("getFile", 1, { status: 502, description: "Bad Gateway" });
    const failed = await c.get(`/console/tips/${anon.id}/media/${photo!.id}`);
    expect(failed.status).toBe(502);
    expect(failed.text).toContain("Chưa lấy được tệp từ nền tảng");
    // A file Telegram no longer has: 404, translated.
    tg.failNext("getFile", 1, { status: 400, description: "Bad Request: invalid file_id" });
    expect((await c.get(`/console/tips/${anon.id}/media/${photo!.id}`)).text).toContain("Tệp này không còn trên nền tảng");
    for (const text of [failed.text, logs.join("\n")]) {
      expect(text).not.toContain(TG_TEST_TOKEN);
      expect(text).not.toContain("/file/bot");
    }
  });

  it("a web chat upload attached to a tip is read from the web channel's storage", async () => {
    const upload = await t.db.upload.create({ data: { chatId: "web-chat-x", mime: "image/png", size: 12, bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]) } });
    const file = await t.db.tipAttachment.create({ data: { tipId: conf.id, kind: "photo", ref: `upload:${upload.id}` } });
    const res = await fetch(`${t.url}/console/tips/${conf.id}/media/${file.id}`, { headers: { cookie: sessions.get("officer")!.cookieHeader() } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await res.arrayBuffer()).length).toBe(12);
    // The same attachment asked under another tip is not found.
    expect((await sessions.get("officer")!.get(`/console/tips/${anon.id}/media/${file.id}`)).status).toBe(404);
  });

  it("bad addresses and unknown tips get a translated 400 / 404; nothing runs", async () => {
    const c = sessions.get("officer")!;
    const bad = await c.get("/console/tips/%3Cscript%3E/view");
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Địa chỉ không hợp lệ.");
    const missing = await c.get("/console/tips/ckdoesnotexist000000000/view");
    expect(missing.status).toBe(404);
    expect(missing.text).toContain("Không tìm thấy tin báo hoặc tệp này.");
    expect((await c.get(`/console/tips/${anon.id}/media/abc`)).status).toBe(400);
    expect((await c.get(`/console/tips/${anon.id}/media/999999`)).status).toBe(404);
    const csrf = csrfIn((await c.get(`/console/tips/${anon.id}/view`)).text);
    const before = await tipRow(anon.id);
    const unknownVerb = await c.post(`/console/tips/${anon.id}/do/delete`, { csrf });
    expect(unknownVerb.status).toBe(404);
    expect(unknownVerb.text).toContain("Không có thao tác này.");
    expect((await c.post(`/console/tips/ckdoesnotexist000000000/do/claim`, { csrf })).status).toBe(404);
    expect(await tipRow(anon.id)).toEqual(before);
    // English too.
    expect((await c.get("/console/tips/%3Cscript%3E/view?lang=en")).text).toContain("This address is not valid.");
    await c.get("/console/queue?lang=vi");
  });

  it("a form without the CSRF token, or posted from another site, changes nothing", async () => {
    const c = sessions.get("officer")!;
    const before = await tipRow(anon.id);
    const count = await t.db.auditEvent.count();
    expect((await c.post(`/console/tips/${anon.id}/do/claim`, { csrf: "forged" })).status).toBe(403);
    const csrf = csrfIn((await c.get(`/console/tips/${anon.id}/view`)).text);
    expect((await c.post(`/console/tips/${anon.id}/do/claim`, { csrf }, { origin: "https://evil.example" })).status).toBe(403);
    expect(await tipRow(anon.id)).toEqual(before);
    expect(await t.db.auditEvent.count()).toBe(count);
  });

  it("a refused action shows the translated refusal, changes nothing and is audited", async () => {
    const c = sessions.get("officer")!;
    const csrf = csrfIn((await c.get(`/console/tips/${anon.id}/view`)).text);
    const before = await tipRow(anon.id);
    // Extending is for commanders (not offered to an officer; a forged form is refused by the command).
    const extend = await c.post(`/console/tips/${anon.id}/do/extend`, { csrf, value: "two_months" });
    expect(extend.location).toBe(`/console/tips/${anon.id}/view?refused=role`);
    expect((await c.get(extend.location!)).text).toContain("Việc này cần quyền chỉ huy.");
    // Outside the officer's scope.
    const out = sessions.get("officerOut")!;
    const outPage = await out.get(`/console/tips/${anon.id}/view`);
    expect(outPage.status).toBe(403);
    expect(outPage.text).not.toContain("Có người bán ma tuý");
    const claim = await out.post(`/console/tips/${anon.id}/do/claim`, { csrf: csrfIn((await out.get("/console/queue")).text) });
    expect(claim.location).toBe(`/console/tips/${anon.id}/view?refused=scope`);
    // A bad value.
    const badOutcome = await sessions.get("commander")!.post(`/console/tips/${anon.id}/do/close`, { csrf: csrfIn((await sessions.get("commander")!.get(`/console/tips/${anon.id}/view`)).text), outcome: "<b>x</b>" });
    expect(badOutcome.location).toBe(`/console/tips/${anon.id}/view?refused=bad_input`);
    expect(await tipRow(anon.id)).toEqual(before);
    const refused = (await events({ action: "auth.refused", tipId: anon.id })).map((e) => ({ actor: e.actor, ...JSON.parse(e.data) }));
    expect(refused).toContainEqual(expect.objectContaining({ actor: `officer:${ids.get("officer")}`, action: "extend", reason: "role", detail: "console:tip.extend" }));
    expect(refused).toContainEqual(expect.objectContaining({ actor: `officer:${ids.get("officerOut")}`, action: "console.tip", reason: "scope" }));
    expect(refused).toContainEqual(expect.objectContaining({ actor: `officer:${ids.get("officerOut")}`, action: "claim", reason: "scope" }));
  });

  it("every action form runs the card's command: one event each by the person who acted; the tipster gets the question", async () => {
    const officer = sessions.get("officer")!;
    const commander = sessions.get("commander")!;
    const o = `officer:${ids.get("officer")}`;
    const cmd = `officer:${ids.get("commander")}`;
    const act = async (c: ConsoleClient, verb: string, form: Record<string, string> = {}) => {
      const csrf = csrfIn((await c.get(`/console/tips/${anon.id}/view`)).text);
      const res = await c.post(`/console/tips/${anon.id}/do/${verb}`, { csrf, ...form });
      expect(res.location, verb).toBe(`/console/tips/${anon.id}/view?done=${verb}`);
      await waitIdle(t);
    };
    const steps: Array<[ConsoleClient, string, Record<string, string>, string, string]> = [
      [officer, "claim", {}, "tip.claimed", o],
      [officer, "note", { text: "Đã cử tổ tuần tra xác minh" }, "tip.note_added", o],
      [officer, "priority", { value: "high" }, "tip.priority_set", o],
      [officer, "classify", { value: "tin_bao" }, "tip.classified", o],
      [officer, "ask", { text: "Người bán thường đứng ở số nhà nào?" }, "tip.question_sent", o],
      [commander, "extend", { value: "two_months" }, "tip.extended", cmd],
      [officer, "release", {}, "tip.released", o],
      [commander, "transfer", { queue: "commune:00004" }, "tip.transferred", cmd],
      [commander, "transfer", { queue: "commune:00070" }, "tip.transferred", cmd],
      [officer, "claim", {}, "tip.claimed", o],
      [officer, "close", { outcome: "khoi_to" }, "tip.closed", o],
      [commander, "reopen", {}, "tip.reopened", cmd],
    ];
    for (const [c, verb, form, action, actor] of steps) {
      const before = (await events({ action, tipId: anon.id, actor })).length;
      await act(c, verb, form);
      const after = await events({ action, tipId: anon.id, actor });
      expect(after.length, `${verb} → ${action}`).toBe(before + 1);
    }
    const tip = await tipRow(anon.id);
    expect(tip).toMatchObject({ status: "claimed", claimedById: ids.get("officer"), priority: "high", classification: "tin_bao", extension: "two_months", outcome: null, queueId: "commune:00070" });
    // The tipster got the question on their channel; the page shows it and waits for the answer.
    await eventually(() => tg.delivered(TIPSTER).some((m) => tgShownText(m.payload).includes("Người bán thường đứng ở số nhà nào?")), 10_000, "the question delivered");
    const page = (await officer.get(`/console/tips/${anon.id}/view`)).text;
    expect(page).toContain("Người bán thường đứng ở số nhà nào?");
    expect(page).toContain("Đang chờ người báo tin trả lời");
    expect(page).toContain("Đã cử tổ tuần tra xác minh");
    expect(page).toContain("Câu hỏi của Trần Thị Lan");
    // The history reads each action in words.
    for (const words of ["nhận xử lý", "chuyển từ Công an phường Hoàn Kiếm", "kết thúc: Khởi tố vụ án", "mở lại"]) expect(page.toLowerCase()).toContain(words.toLowerCase());
    // The done notice of the last action is translated.
    expect((await officer.get(`/console/tips/${anon.id}/view?done=note`)).text).toContain("Đã thực hiện: Thêm ghi chú.");
  });

  it("open contact: only a commander, through the audited command; the contact is in that answer only, never stored or logged", async () => {
    const officerPage = await sessions.get("officer")!.get(`/console/tips/${conf.id}/view`);
    for (const secret of identityOf(CONFIDENTIAL_TIPSTER)) expect(officerPage.text).not.toContain(secret);
    expect(officerPage.text).toContain("Bảo mật");
    // An officer forging the form is refused (audited); nothing is shown.
    const forged = await sessions.get("officer")!.post(`/console/tips/${conf.id}/do/open_contact`, { csrf: csrfIn(officerPage.text), reason: "Cần xác minh thêm nhân chứng" });
    expect(forged.location).toBe(`/console/tips/${conf.id}/view?refused=role`);
    const c = sessions.get("commander")!;
    const page = await c.get(`/console/tips/${conf.id}/view`);
    for (const secret of identityOf(CONFIDENTIAL_TIPSTER)) expect(page.text).not.toContain(secret);
    const tooShort = await c.post(`/console/tips/${conf.id}/do/open_contact`, { csrf: csrfIn(page.text), reason: "x" });
    // A reason too short to mean anything: the command refuses it (as from the card's prompt).
    expect(tooShort.location).toBe(`/console/tips/${conf.id}/view?refused=state`);
    const opened = await c.post(`/console/tips/${conf.id}/do/open_contact`, { csrf: csrfIn(page.text), reason: "Cần gọi xác minh người làm chứng" });
    expect(opened.status).toBe(200);
    expect(opened.headers.get("cache-control")).toBe("no-store");
    expect(opened.text).toContain(`${CONTACT.name} — ${CONTACT.phone}`);
    const audit = await events({ action: "tip.contact_opened", tipId: conf.id });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe(`officer:${ids.get("commander")}`);
    expect(JSON.parse(audit[0]!.data)).toEqual({ reason: "Cần gọi xác minh người làm chứng" });
    // Opened once, in that answer: the page afterwards, the audit log and the service's log do not hold it.
    const after = await c.get(`/console/tips/${conf.id}/view`);
    expect(after.text).not.toContain(CONTACT.phone);
    expect(after.text).toContain("mở thông tin liên hệ");
    await waitIdle(t);
    const stored = JSON.stringify([await t.db.auditEvent.findMany(), await t.db.relayMessage.findMany(), await t.db.tipNote.findMany()]);
    expect(stored).not.toContain(CONTACT.phone);
    expect(logs.join("\n")).not.toContain(CONTACT.phone);
    expect((await events({ action: "auth.refused", tipId: conf.id })).map((e) => JSON.parse(e.data))).toContainEqual(expect.objectContaining({ action: "open_contact", reason: "role" }));
  });
});

describe("the live queue", () => {
  const groupOf = (html: string, code: string): string | undefined => {
    for (const m of html.matchAll(/<section aria-labelledby="h-([a-z]+)" data-group="\1">([\s\S]*?)<\/section>/g)) if (m[2]!.includes(`data-code="${code}"`)) return m[1];
    return undefined;
  };

  it("groups: new, unclaimed (minutes waiting), claimed, awaiting the tipster's answer, overdue; life-safety first", async () => {
    const c = sessions.get("commander")!;
    const fresh = await fileTip(TIPSTER + 10);
    const old = await fileTip(TIPSTER + 11);
    const urgent = await fileTip(TIPSTER + 12);
    await waitIdle(t);
    await t.db.tip.update({ where: { id: old.id }, data: { receivedAt: new Date(Date.now() - 95 * 60_000) } });
    await t.db.tip.update({ where: { id: urgent.id }, data: { receivedAt: new Date(Date.now() - 90 * 60_000), lifeSafety: true } });
    await t.db.tip.update({ where: { id: conf.id }, data: { receivedAt: new Date(Date.now() - 12 * 24 * 3600_000) } });
    const page = (await c.get("/console/queue")).text;
    expect(groupOf(page, fresh.code)).toBe("new");
    expect(groupOf(page, old.code)).toBe("unclaimed");
    expect(groupOf(page, anon.code)).toBe("awaiting");
    expect(groupOf(page, conf.code)).toBe("overdue");
    expect(page).toMatch(/95 phút/);
    // Life-safety first within the group, though it waited less.
    const unclaimed = /data-group="unclaimed">([\s\S]*?)<\/section>/.exec(page)![1]!;
    expect(unclaimed.indexOf(urgent.code)).toBeLessThan(unclaimed.indexOf(old.code));
    expect(unclaimed).toContain("Nguy hiểm đến tính mạng");
    // The tipster answers: the tip leaves "awaiting" for "claimed" and the answer shows on its page.
    const p = new TelegramTipster(tg, TIPSTER);
    await p.say("Số nhà 12, ngõ Hàng Bạc");
    await waitIdle(t);
    await eventually(async () => groupOf((await c.get("/console/queue")).text, anon.code) === "claimed", 10_000, "the tip claimed again");
    const tipPage = (await c.get(`/console/tips/${anon.id}/view`)).text;
    expect(tipPage).toContain("Người báo tin trả lời");
    expect(tipPage).toContain("Số nhà 12, ngõ Hàng Bạc");
    expect(tipPage).not.toContain("Đang chờ người báo tin trả lời");
    // The JSON endpoint (polled by the page) counts each group.
    const api = JSON.parse((await c.get("/console/api/queue")).text) as { counts: Record<string, number>; html: string };
    expect(api.counts).toMatchObject({ new: 1, claimed: 1, overdue: 1 });
    expect(api.counts.unclaimed).toBe(2);
    expect(api.html).toContain(`href="/console/tips/${anon.id}/view"`);
  });

  it("narrows to a unit of the scope, to my tips, and (commanders) to an officer of the scope; anything else is a translated 400", async () => {
    const officer = sessions.get("officer")!;
    const mine = await officer.get(`/console/queue?claimedBy=${ids.get("officer")}`);
    expect(mine.status).toBe(200);
    expect(mine.text).toContain(`data-code="${anon.code}"`);
    expect(mine.text).not.toContain(`data-code="${conf.code}"`);
    expect(mine.text).toContain(`data-source="/console/api/queue?lang=vi&amp;claimedBy=${ids.get("officer")}"`);
    const mineApi = JSON.parse((await officer.get(`/console/api/queue?claimedBy=${ids.get("officer")}`)).text) as { counts: Record<string, number> };
    expect(mineApi.counts).toMatchObject({ new: 0, unclaimed: 0, claimed: 1, overdue: 0 });
    // An officer may not look at a colleague's tips; a commander may, within the scope.
    const colleague = await officer.get(`/console/queue?claimedBy=${ids.get("officer2")}`);
    expect(colleague.status).toBe(400);
    expect(colleague.text).toContain("không hợp lệ hoặc nằm ngoài phạm vi");
    expect((await officer.get(`/console/api/queue?claimedBy=${ids.get("officer2")}`)).status).toBe(400);
    const commander = sessions.get("commander")!;
    const picked = await commander.get(`/console/queue?claimedBy=${ids.get("officer")}`);
    expect(picked.status).toBe(200);
    expect(picked.text).toContain(`data-code="${anon.code}"`);
    expect(picked.text).toContain(`<option value="${ids.get("officer2")}">Phạm Văn Hùng</option>`);
    // Officers of the province's communes are offered; one of another province is neither offered nor accepted.
    expect(picked.text).toContain(`<option value="${ids.get("officerOut")}">Đỗ Minh Quân</option>`);
    expect(picked.text).not.toContain("Võ Thanh Tâm");
    expect((await commander.get(`/console/queue?claimedBy=${ids.get("farOfficer")}`)).status).toBe(400);
    // One unit: the tips it handles now; a unit outside the scope, or a made-up one, is refused.
    const unit = await commander.get("/console/queue?queue=commune%3A00070");
    expect(unit.status).toBe(200);
    expect(unit.text).toContain(`data-code="${anon.code}"`);
    expect(unit.text).toContain('<option value="commune:00070" selected>');
    const other = JSON.parse((await commander.get("/console/api/queue?queue=commune%3A00004")).text) as { html: string; counts: Record<string, number> };
    expect(other.html).not.toContain(anon.code);
    expect(Object.values(other.counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect((await officer.get("/console/queue?queue=commune%3A00004")).status).toBe(400);
    expect((await commander.get("/console/queue?queue=province%3A79")).status).toBe(400);
    expect((await commander.get("/console/queue?queue=%3Cscript%3E")).text).not.toContain("<script>");
  });
});
