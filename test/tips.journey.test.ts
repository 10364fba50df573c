import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CODE_FAILURES_PER_DAY, CODE_WINDOW_MS, lookupTip } from "../src/core/tips/lookupTip.ts";
import { Sealer } from "../src/security/sealing.ts";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import { FakeZaloApi } from "./fakes/zaloApi.ts";
import { eventually, startWithFakes, type TestApp } from "./helpers/app.ts";
import { TelegramTipster, ZaloTipster } from "./helpers/tipster.ts";

let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ tg, zalo, t, close } = await startWithFakes());
});
afterAll(() => close());

const codeOf = (text: string) => /Mã tin báo: (TM-[A-Z0-9]{6})|Report code: (TM-[A-Z0-9]{6})/.exec(text)?.slice(1).find(Boolean);
const pinOf = (text: string) => /(?:Mã PIN|PIN): (\d{6})/.exec(text)?.[1];

async function startReport(p: TelegramTipster) {
  await p.command("/start");
  await p.press("data:lang:vi");
  return p.press("Báo tin tội phạm");
}

describe("reporting a tip on Telegram", () => {
  it("anonymous: guided steps from category to receipt; the stored tip holds nothing that identifies the tipster", async () => {
    const p = new TelegramTipster(tg, 7001);
    const category = await startReport(p);
    expect(category.text).toContain("Bạn muốn báo tin về việc gì?");
    expect(category.options).toContain("Ma tuý");
    expect(category.options).toContain("Tín dụng đen, đòi nợ thuê");

    const danger = await p.press("Ma tuý");
    expect(danger.text).toContain("Có ai đang gặp nguy hiểm ngay lúc này không?");
    const place = await p.press("Có, đang nguy hiểm");
    expect(place.text).toMatch(/^🚨 Hãy gọi ngay 113/);
    expect(place.text).toContain("Việc này xảy ra ở đâu?");
    expect((place.raw.reply_markup as { keyboard: Array<Array<{ request_location?: boolean }>> }).keyboard[0]![0]!.request_location).toBe(true);

    const when = await p.location(21.0287, 105.8524); // Hồ Hoàn Kiếm
    expect(when.text).toContain("Nơi xảy ra: Phường Hoàn Kiếm, Thành phố Hà Nội.");
    const details = await p.press("Hôm nay");
    expect(details.text).toContain("địa điểm cụ thể");
    const what = await p.say("Quán nước đầu ngõ 12, tối nào cũng có người đến mua bán.");
    expect(what.text).toContain("Bạn kể lại sự việc");
    expect((await p.say("Có khoảng 5 người, đi xe máy, thường đến lúc 22 giờ.")).text).toContain("Đã nhận");
    expect((await p.photo("AgACAgPHOTO123", "ảnh chụp từ xa")).text).toContain("Đã nhận");
    const identity = await p.say("xong");
    expect(identity.text).toContain("🕶 Ẩn danh");
    const review = await p.press("Ẩn danh");
    expect(review.text).toContain("Loại việc: Ma tuý");
    expect(review.text).toContain("⚠️ Có người đang gặp nguy hiểm");
    expect(review.text).toContain("Nơi xảy ra: Phường Hoàn Kiếm, Thành phố Hà Nội");
    expect(review.text).toContain("Thời gian: Hôm nay");
    expect(review.text).toContain("Tệp đính kèm: 1");
    expect(review.text).toContain("Cách gửi: Ẩn danh");

    const receipt = await p.press("Gửi tin báo");
    expect(receipt.text).toContain("Đã gửi tin báo đến Công an phường Hoàn Kiếm.");
    expect(receipt.text).toContain("3 ngày làm việc");
    const code = codeOf(receipt.text)!;
    expect(code).toMatch(/^TM-[2-9A-HJKMNP-Z]{6}$/);
    expect(pinOf(receipt.text)).toMatch(/^\d{6}$/);

    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { attachments: true, audit: true } });
    // Statistics group it by Vietnam's month, hour and weekday of receipt.
    const vn = new Date(tip.receivedAt.getTime() + 7 * 3600_000);
    expect([tip.receivedMonth, tip.receivedHour, tip.receivedWeekday]).toEqual([vn.toISOString().slice(0, 7), vn.getUTCHours(), ((vn.getUTCDay() + 6) % 7) + 1]);
    expect(tip).toMatchObject({
      category: "drugs",
      lifeSafety: true,
      queueId: "commune:00070",
      communeCode: "00070",
      provinceCode: "01",
      placeSource: "location",
      occurredWhen: "today",
      identityMode: "anonymous",
      contactSealed: null,
      channel: "telegram",
    });
    expect(JSON.parse(tip.details)).toEqual({ text: "Quán nước đầu ngõ 12, tối nào cũng có người đến mua bán." });
    expect(tip.description).toContain("Có khoảng 5 người");
    expect(tip.description).toContain("ảnh chụp từ xa");
    expect(tip.attachments.map((a) => [a.kind, a.ref])).toEqual([["photo", "AgACAgPHOTO123"]]);
    expect(tip.audit.map((a) => a.action)).toEqual(["tip.submitted"]);
    // The PIN is stored only as a sealed scrypt hash: without the key nothing in the row tests a guess.
    expect(tip.pinHash).toMatch(/^v1\./);
    expect(t.sealer.open(tip.pinHash, "tip-pin")).toMatch(/^scrypt\$4096\$8\$1\$/);
    expect(tip.pinHash).not.toContain(pinOf(receipt.text)!);

    // Nothing identifying: no platform id, username, display name or phone anywhere on the tip.
    const stored = JSON.stringify(tip);
    for (const secret of [String(p.chatId), p.user.username!, p.user.first_name, "Nguyễn"]) expect(stored).not.toContain(secret);
    // The reply reference opens only with the key, to the opaque chat id — not the Telegram id.
    const chat = await t.db.chat.findFirstOrThrow({ where: { channel: "telegram", platformChatId: String(p.chatId) } });
    expect(t.sealer.open(tip.replyRefSealed, "tip-reply-ref")).toBe(chat.id);
    expect(() => new Sealer([crypto.randomBytes(32)]).open(tip.replyRefSealed, "tip-reply-ref")).toThrow();
    // The receipt (code + PIN) is not kept in the outbox once delivered, and processed raw updates are cleared.
    await eventually(async () => (await t.db.outboxMessage.count({ where: { chatId: chat.id, sensitive: true, status: "sent" } })) === 1);
    const receiptRow = await t.db.outboxMessage.findFirstOrThrow({ where: { chatId: chat.id, sensitive: true } });
    expect(receiptRow.payload).not.toContain(code);
    const leftovers = await t.db.inboxUpdate.findMany({ where: { channel: "telegram", status: "done", NOT: { payload: "" } } });
    expect(leftovers).toHaveLength(0);
  });

  it("named: the phone comes from Telegram's contact button and is kept sealed", async () => {
    const p = new TelegramTipster(tg, 7002);
    await startReport(p);
    await p.press("Trộm cắp");
    await p.press("Không");
    await p.say("phuong hoan kiem");
    await p.press("Hôm qua");
    await p.say("Xe máy bị lấy trộm trước cửa nhà.");
    await p.press("Xong");
    const askName = await p.press("Công khai tên");
    expect(askName.text).toContain("họ và tên");
    const askPhone = await p.say("Lê Văn Cường");
    expect((askPhone.raw.reply_markup as { keyboard: Array<Array<{ request_contact?: boolean }>> }).keyboard[0]![0]!.request_contact).toBe(true);
    const review = await p.contact("+84912345678");
    expect(review.text).toContain("Cách gửi: Công khai tên");
    const receipt = await p.press("Gửi tin báo");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code: codeOf(receipt.text)! } });
    expect(tip.identityMode).toBe("named");
    expect(tip.contactSealed).not.toContain("0912345678");
    expect(tip.contactSealed).not.toContain("Cường");
    expect(JSON.parse(t.sealer.open(tip.contactSealed!, "tip-contact"))).toEqual({ name: "Lê Văn Cường", phone: "0912345678" });
  });

  it("back and cancel work at every step; cancel sends nothing", async () => {
    const p = new TelegramTipster(tg, 7003);
    await startReport(p);
    await p.press("Cờ bạc");
    const back = await p.press("Quay lại");
    expect(back.text).toContain("Bạn muốn báo tin về việc gì?");
    await p.press("Gây rối");
    await p.press("Không");
    const cancelled = await p.say("huỷ");
    expect(cancelled.text).toContain("Đã huỷ tin báo đang soạn");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "7003" } });
    expect(await t.db.tipDraft.findUnique({ where: { chatId: chat.id } })).toBeNull();
    expect(await t.db.tip.count({ where: { channel: "telegram", category: "public_disorder" } })).toBe(0);
  });

  it("bad answers get a clear message and change nothing", async () => {
    const p = new TelegramTipster(tg, 7004);
    await startReport(p);
    await p.press("Trộm cắp");
    await p.press("Không");
    const notFound = await p.say("xyzzy qwerty");
    expect(notFound.text).toContain("Tôi chưa tìm thấy «xyzzy qwerty»");
    const tooLong = await p.say("a".repeat(4001));
    expect(tooLong.text).toContain("Tin nhắn quá dài (tối đa 4000 ký tự)");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "7004" } });
    const draft = JSON.parse((await t.db.tipDraft.findUniqueOrThrow({ where: { chatId: chat.id } })).data);
    expect(draft.step).toBe("place");
    expect(draft.place).toBeUndefined();
  });
});

describe("reporting a tip on Zalo (numbered menus, typed place)", () => {
  it("confidential online-fraud tip: province question for a shared name, contact sealed, info copy to the cyber unit", async () => {
    const p = new ZaloTipster(zalo, "zu-9001");
    await p.say("xin chào");
    await p.choose("Tiếng Việt");
    const category = await p.choose("Báo tin tội phạm");
    expect(category.text).toContain("Trả lời 1, 2, 3");
    await p.choose("Lừa đảo qua mạng");
    const place = await p.choose("Không");
    expect(place.text).toContain("Gõ tên xã, phường");
    expect(place.text).not.toContain("Gửi vị trí");
    const which = await p.say("phuong ba dinh");
    expect(which.text).toContain("Có vài nơi trùng hoặc gần giống «phuong ba dinh»");
    expect(which.options).toEqual(expect.arrayContaining(["Phường Ba Đình, Thành phố Hà Nội"]));
    expect(which.options.some((o) => o.includes("Thanh Hoá"))).toBe(true);
    const when = await p.choose("Phường Ba Đình, Thành phố Hà Nội");
    expect(when.text).toContain("Nơi xảy ra: Phường Ba Đình, Thành phố Hà Nội.");
    const askDetails = await p.say("tối qua khoảng 9 giờ");
    expect(askDetails.text).toContain("số tài khoản ngân hàng");
    await p.say("Gọi từ số 0912 345 678, bảo chuyển vào tài khoản 1903 5678 9012 Techcombank, gửi link http://nhan-qua.top/abc");
    await p.say("Họ giả danh công an, doạ tôi phải chuyển tiền.");
    await p.say("xong");
    await p.choose("Bảo mật");
    await p.say("Trần Thị B");
    const bad = await p.say("12345");
    expect(bad.text).toContain("Số điện thoại chưa đúng");
    const review = await p.say("0987 654 321");
    expect(review.text).toContain("Cách gửi: Bảo mật");
    const receipt = await p.choose("Gửi tin báo");
    const code = codeOf(receipt.text)!;

    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { copies: true } });
    expect(tip).toMatchObject({ category: "online_fraud", queueId: "commune:00004", identityMode: "confidential", channel: "zalo", occurredWhen: "tối qua khoảng 9 giờ" });
    expect(tip.copies.map((c) => c.queueId)).toEqual(["cyber:01"]);
    const details = JSON.parse(tip.details);
    expect(details.phones).toContain("0912345678");
    expect(details.accounts).toContain("190356789012");
    expect(details.links).toContain("http://nhan-qua.top/abc");
    // Contact: unreadable without the key; nothing identifying in clear.
    const stored = JSON.stringify(tip);
    for (const secret of ["Trần Thị B", "0987654321", "zu-9001"]) expect(stored).not.toContain(secret);
    expect(JSON.parse(t.sealer.open(tip.contactSealed!, "tip-contact"))).toEqual({ name: "Trần Thị B", phone: "0987654321" });
    expect(() => new Sealer([crypto.randomBytes(32)]).open(tip.contactSealed!, "tip-contact")).toThrow();
  });

  it("an old pre-2025 name that was split asks which new commune; “I don't know” goes to the province duty queue", async () => {
    const p = new ZaloTipster(zalo, "zu-9002");
    await p.say("hi");
    await p.choose("Tiếng Việt");
    await p.choose("Báo tin tội phạm");
    await p.choose("Trộm cắp");
    await p.choose("Không");
    const split = await p.say("Phường Giáp Bát");
    expect(split.text).toContain("là tên cũ");
    expect(split.options).toEqual(expect.arrayContaining(["Phường Hoàng Mai, Thành phố Hà Nội", "Phường Tương Mai, Thành phố Hà Nội"]));
    const place = await p.choose("Không phải các nơi trên");
    expect(place.text).toContain("Việc này xảy ra ở đâu?");
    const provinces = await p.choose("Tôi không biết");
    expect(provinces.options).toHaveLength(34 + 2);
    const when = await p.say("Cao Bằng");
    expect(when.text).toContain("Nơi xảy ra: Tỉnh Cao Bằng (chưa rõ xã, phường).");
    await p.choose("Hôm nay");
    await p.say("Mất trộm bò trong chuồng.");
    await p.say("xong");
    await p.choose("Ẩn danh");
    const receipt = await p.choose("Gửi tin báo");
    expect(receipt.text).toContain("Đã gửi tin báo đến Trực ban Công an tỉnh Cao Bằng.");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code: codeOf(receipt.text)! } });
    expect(tip).toMatchObject({ queueId: "province:04", communeCode: null, placeSource: "unknown" });
  });
});

describe("a place typed with a mistake (Zalo)", () => {
  it("“Hả Tiến” is never taken as Phường Hà Tiên: the closest places are offered, and a single one is confirmed before use", async () => {
    const p = new ZaloTipster(zalo, "zu-9003");
    await p.say("hi");
    await p.choose("Tiếng Việt");
    await p.choose("Báo tin tội phạm");
    await p.choose("Trộm cắp");
    await p.choose("Không");
    const list = await p.say("Hả Tiến");
    expect(list.text).toContain("Tôi không thấy nơi nào tên đúng là «Hả Tiến»");
    expect(list.text).not.toContain("Nơi xảy ra");
    expect(list.options).toContain("Xã Hải Tiến, Tỉnh Ninh Bình");
    expect(list.options.filter((o) => o.includes(", ")).length).toBeLessThanOrEqual(5);
    const again = await p.choose("Không phải các nơi trên");
    expect(again.text).toContain("Việc này xảy ra ở đâu?");
    const confirm = await p.say("Hả Tiến, Ninh Bình");
    expect(confirm.text).toContain("Có phải ý bạn là Xã Hải Tiến, Tỉnh Ninh Bình?");
    expect(confirm.options.slice(0, 2)).toEqual(["Đúng", "Không, tôi sẽ gõ tên"]);
    // “No” asks the place again and settles nothing.
    const retry = await p.choose("Không, tôi sẽ gõ tên");
    expect(retry.text).toContain("Việc này xảy ra ở đâu?");
    expect((await p.say("Hả Tiến, Ninh Bình")).text).toContain("Có phải ý bạn là Xã Hải Tiến");
    const when = await p.choose("Đúng");
    expect(when.text).toContain("Nơi xảy ra: Xã Hải Tiến, Tỉnh Ninh Bình.");
    await p.choose("Hôm nay");
    await p.say("Mất trộm xe máy trước cửa nhà.");
    await p.say("xong");
    await p.choose("Ẩn danh");
    const receipt = await p.choose("Gửi tin báo");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code: codeOf(receipt.text)! } });
    expect(tip).toMatchObject({ communeCode: "14218", placeSource: "typed" });
  });

  it("a name spelt with other diacritics elsewhere in the province: the typed spelling first, the other offered", async () => {
    const p = new ZaloTipster(zalo, "zu-9004");
    await p.say("hi");
    await p.choose("Tiếng Việt");
    await p.choose("Báo tin tội phạm");
    await p.choose("Trộm cắp");
    await p.choose("Không");
    const both = await p.say("Tân Thạnh, Tây Ninh");
    expect(both.options.slice(0, 2)).toEqual(["Xã Tân Thạnh, Tỉnh Tây Ninh", "Xã Tân Thành, Tỉnh Tây Ninh"]);
    const when = await p.choose("Xã Tân Thành, Tỉnh Tây Ninh");
    expect(when.text).toContain("Nơi xảy ra: Xã Tân Thành, Tỉnh Tây Ninh.");
    expect((await p.say("huỷ")).text).not.toContain("Nơi xảy ra");
  });
});

describe("checking a tip with its code and PIN", () => {
  async function sendTip(p: TelegramTipster, description: string): Promise<{ code: string; pin: string }> {
    await startReport(p);
    await p.press("Buôn lậu");
    await p.press("Không");
    await p.say("Phường Hoàn Kiếm");
    await p.press("Trong tuần này");
    await p.say(description);
    await p.press("Xong");
    await p.press("Ẩn danh");
    const receipt = await p.press("Gửi tin báo");
    return { code: codeOf(receipt.text)!, pin: pinOf(receipt.text)! };
  }

  it("works on another channel than the one the tip was sent on; a guesser locks only themself, the owner still gets in", async () => {
    const p = new TelegramTipster(tg, 7101);
    const { code, pin } = await sendTip(p, "Kho hàng giả ở phố Hàng Bạc.");

    const z = new ZaloTipster(zalo, "zu-9101");
    await z.say("hi");
    await z.choose("English");
    const askCode = await z.choose("Check a report");
    expect(askCode.text).toContain("Type the report code");
    expect((await z.say("TM-12")).text).toContain("A report code looks like TM-");
    await z.say(code.toLowerCase().replace("-", " "));
    const status = await z.say(pin);
    expect(status.text).toContain(`Report ${code}`);
    expect(status.text).toContain("Handled by: Công an phường Hoàn Kiếm");
    expect(status.text).toContain("Status: Received, waiting for an officer to review it");

    // A stranger guesses PINs from Zalo: five wrong answers lock that chat, not the tip.
    const wrong = wrongPin(pin);
    await z.choose("Check a report");
    for (let i = 0; i < 4; i++) {
      await z.say(code);
      const again = await z.say(wrong);
      expect(again.text).toContain("The report code or the PIN is not right.");
      expect(again.text).toContain("Type the report code"); // asked again, nothing revealed
    }
    await z.say(code);
    expect((await z.say(wrong)).text).toContain("Too many wrong attempts");
    await z.choose("Check a report");
    await z.say(code);
    expect((await z.say(pin)).text).toContain("Too many wrong attempts"); // locked chat: even the right PIN waits

    // The owner is not locked out by the stranger.
    await p.press("data:menu:lookup");
    await p.say(code);
    expect((await p.say(pin)).text).toContain(`Tin báo ${code}`);
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { audit: true } });
    expect(tip.audit.filter((a) => a.action === "tip.lookup_failed")).toHaveLength(5);
  });

  it("answers a made-up code exactly as an existing code with a wrong PIN, up to the lock", async () => {
    const owner = new TelegramTipster(tg, 7112);
    const { code, pin } = await sendTip(owner, "Hàng lậu chở bằng xe tải ban đêm.");
    const wrong = wrongPin(pin);
    const madeUp = code === "TM-ZZZZZZ" ? "TM-YYYYYY" : "TM-ZZZZZZ";
    const transcript = async (id: number, tryCode: string): Promise<string[]> => {
      const g = new TelegramTipster(tg, id);
      await g.command("/start");
      await g.press("data:lang:vi");
      const answers: string[] = [];
      await g.press("data:menu:lookup");
      for (let i = 0; i < 6; i++) {
        await g.say(tryCode);
        answers.push((await g.say(wrong)).text.replace(/\d+ phút/, "N phút"));
        if (answers.at(-1)!.includes("tạm khoá")) await g.press("data:menu:lookup");
      }
      return answers;
    };
    const existing = await transcript(7113, code);
    const fake = await transcript(7114, madeUp);
    expect(fake).toEqual(existing);
    expect(existing.at(-1)).toContain("tạm khoá");
  });

  it("a code's daily budget of wrong PINs, spent by many chats, holds off everyone for that code until the window passes; then the owner gets in", async () => {
    const owner = new TelegramTipster(tg, 7115);
    const { code, pin } = await sendTip(owner, "Buôn bán hàng cấm ở chợ đêm.");
    // The service's key: the PIN's hash is sealed with it.
    const sealer = t.sealer;
    const now = new Date();
    const chat = async (n: number) => (await t.db.chat.create({ data: { channel: "telegram", platformChatId: `guess-${crypto.randomUUID()}-${n}`, kind: "private" } })).id;
    const attempt = async (askingChatId: string, tryCode: string, tryPin: string, at = now) =>
      t.db.$transaction((tx) => lookupTip(tx, { code: tryCode, pin: tryPin, askingChatId, sealer, now: at }));
    const madeUp = code === "TM-XXXXXX" ? "TM-WWWWWW" : "TM-XXXXXX";
    for (const tryCode of [code, madeUp]) {
      for (let i = 0; i < CODE_FAILURES_PER_DAY; i++) expect((await attempt(await chat(i), tryCode, wrongPin(pin))).kind).toBe("wrong");
      const spent = await attempt(await chat(99), tryCode, pin);
      expect(spent.kind).toBe("locked");
    }
    const ownerChat = await chat(100);
    expect((await attempt(ownerChat, code, pin)).kind).toBe("locked");
    const later = new Date(now.getTime() + CODE_WINDOW_MS + 60_000);
    expect(await attempt(ownerChat, code, pin, later)).toMatchObject({ kind: "found", code });
  });
});

function wrongPin(pin: string): string {
  return pin === "000000" ? "111111" : "000000";
}

describe.each(["anonymous", "confidential", "named"] as const)("every identity mode on every channel: %s", (mode) => {
  const label = { anonymous: "Ẩn danh", confidential: "Bảo mật", named: "Công khai tên" }[mode];

  it(`Telegram, ${mode}`, async () => {
    const id = 7600 + ["anonymous", "confidential", "named"].indexOf(mode);
    const p = new TelegramTipster(tg, id);
    await startReport(p);
    await p.press("Bạo lực gia đình");
    await p.press("Không");
    await p.say("xã Nội Bài");
    await p.press("Hôm nay");
    await p.say("Nhà bên cạnh đánh vợ con hằng đêm.");
    await p.press("Xong");
    let review = await p.press(label);
    if (mode !== "anonymous") {
      await p.say("Phạm Thị Dung");
      review = await p.say("0903 111 222");
    }
    expect(review.text).toContain(`Cách gửi: ${label}`);
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code: codeOf((await p.press("Gửi tin báo")).text)! } });
    expect(tip).toMatchObject({ identityMode: mode, channel: "telegram", queueId: "commune:00433", category: "domestic_violence" });
    const stored = JSON.stringify(tip);
    for (const secret of [String(id), p.user.username!, p.user.first_name, "Phạm Thị Dung", "0903111222"]) expect(stored).not.toContain(secret);
    if (mode === "anonymous") expect(tip.contactSealed).toBeNull();
    else expect(JSON.parse(t.sealer.open(tip.contactSealed!, "tip-contact"))).toEqual({ name: "Phạm Thị Dung", phone: "0903111222" });
  });

  it(`Zalo, ${mode}`, async () => {
    const p = new ZaloTipster(zalo, `zu-96${mode}`, "Hoàng Văn Em");
    await p.say("hi");
    await p.choose("Tiếng Việt");
    await p.choose("Báo tin tội phạm");
    await p.choose("Nguy hiểm giao thông");
    await p.choose("Không");
    await p.say("xa noi bai");
    await p.choose("Đang xảy ra");
    await p.say("Xe tải chạy ngược chiều trên cao tốc.");
    expect((await p.photo("https://photo-stal-1.zdn.vn/abc.jpg", "biển số xe")).text).toContain("Đã nhận");
    await p.say("xong");
    let review = await p.choose(label);
    if (mode !== "anonymous") {
      await p.say("Phạm Thị Dung");
      review = await p.say("+84 903 111 222");
    }
    expect(review.text).toContain(`Cách gửi: ${label}`);
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code: codeOf((await p.choose("Gửi tin báo")).text)! }, include: { attachments: true } });
    expect(tip).toMatchObject({ identityMode: mode, channel: "zalo", queueId: "commune:00433", category: "traffic", occurredWhen: "now" });
    expect(tip.attachments.map((a) => a.ref)).toEqual(["https://photo-stal-1.zdn.vn/abc.jpg"]);
    const stored = JSON.stringify(tip);
    for (const secret of [`zu-96${mode}`, "Hoàng Văn Em", "Phạm Thị Dung", "0903111222"]) expect(stored).not.toContain(secret);
    if (mode !== "anonymous") expect(JSON.parse(t.sealer.open(tip.contactSealed!, "tip-contact")).phone).toBe("0903111222");
  });
});
