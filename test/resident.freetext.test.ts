import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import { FakeZaloApi } from "./fakes/zaloApi.ts";
import { startWithFakes, type TestApp } from "./helpers/app.ts";
import { TelegramTipster, ZaloTipster } from "./helpers/tipster.ts";

let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ tg, zalo, t, close } = await startWithFakes());
});
afterAll(() => close());

const NOT_UNDERSTOOD = /chưa hiểu ý bạn|did not understand/;
const KHMER = /[\u1780-\u17ff]/;

async function vietnamese(id: number): Promise<TelegramTipster> {
  const p = new TelegramTipster(tg, id);
  await p.command("/start");
  await p.press("data:lang:vi");
  return p;
}

async function draftOf(platformChatId: string) {
  const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId } });
  const row = await t.db.tipDraft.findUnique({ where: { chatId: chat.id } });
  return row ? (JSON.parse(row.data) as { step: string; description: string[] }) : null;
}

describe("typed text at the main menu is understood, never dropped", () => {
  it("the five reported messages: 'toi muon bao tin', 'bao tin', 'hoi dap', an incident, a legal question", async () => {
    const p = await vietnamese(9501);
    for (const text of ["toi muon bao tin", "bao tin"]) {
      const reply = await p.say(text);
      expect(reply.text).toContain("Bạn muốn báo tin về việc gì?");
      await p.press("data:flow:cancel");
    }
    const qa = await p.say("hoi dap");
    expect(qa.text).not.toMatch(NOT_UNDERSTOOD);
    expect(await t.db.chat.findFirstOrThrow({ where: { platformChatId: "9501" } }).then((c) => JSON.parse(c.flow ?? "{}").name)).toBe("ask");
    await p.press("data:menu:main");

    const incident = "co nguoi ban ma tuy o hem 12 moi toi";
    const kept = await p.say(incident);
    expect(kept.text).toContain("Đã ghi lại nội dung bạn vừa viết");
    expect(kept.text).toContain("Bạn muốn báo tin về việc gì?");
    expect(await draftOf("9501")).toMatchObject({ step: "category", description: [incident] });
    await p.press("data:flow:cancel");

    const answer = await p.say("bi lua dao qua mang thi lam sao");
    expect(answer.text).not.toMatch(NOT_UNDERSTOOD);
    expect(answer.text).toContain("📖 Nguồn:");
  });

  it("an unknown command lists the commands there are; a sticker is greeted with the menu (never 'not understood')", async () => {
    const p = await vietnamese(9509);
    const command = await p.command("/baotin");
    expect(command.text).toContain("Không có lệnh /baotin. Các lệnh bạn dùng được: /start — bắt đầu, /menu");
    expect(command.text).not.toMatch(NOT_UNDERSTOOD);
    expect(command.options.some((o) => o.includes("Báo tin tội phạm"))).toBe(true);
    const sticker = await p.sticker();
    expect(sticker.text).toContain("Cảm ơn bạn! Bạn cần giúp gì?");
    expect(sticker.text).not.toMatch(/chưa đọc được loại tin nhắn/);
    expect(await draftOf("9509")).toBeNull();
  });

  it("on Zalo the option label typed without its emoji chooses it", async () => {
    const z = new ZaloTipster(zalo, "zu-free-1");
    await z.say("hi");
    await z.choose("Tiếng Việt");
    const category = await z.say("Báo tin tội phạm");
    expect(category.text).toContain("Bạn muốn báo tin về việc gì?");
  });

  it("a code and PIN pasted together open the look-up at once, whatever the separator", async () => {
    const owner = await vietnamese(9502);
    await owner.press("Báo tin tội phạm");
    await owner.press("Buôn lậu");
    await owner.press("Không");
    await owner.say("Phường Hoàn Kiếm");
    await owner.press("Trong tuần này");
    await owner.say("Xe tải chở hàng lậu vào kho lúc nửa đêm.");
    await owner.press("Xong");
    await owner.press("Ẩn danh");
    const receipt = (await owner.press("Gửi tin báo")).text;
    const code = /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(receipt)![1]!;
    const pin = /Mã PIN: (\d{6})/.exec(receipt)![1]!;
    const z = new ZaloTipster(zalo, "zu-free-2");
    await z.say("hi");
    await z.choose("Tiếng Việt");
    for (const pasted of [`${code} ${pin}`, `${code.toLowerCase()}/${pin}`, `mã ${code.replace("-", " ")} pin ${pin.slice(0, 3)} ${pin.slice(3)}`]) {
      const status = await z.say(pasted);
      expect(status.text).toContain(`Tin báo ${code}`);
      expect(status.text).toContain("Nơi tiếp nhận: Công an phường Hoàn Kiếm");
    }
    // Pasted at the look-up's code step, both are taken.
    await z.choose("Tra cứu tin báo");
    expect((await z.say(`${code} - ${pin}`)).text).toContain(`Tin báo ${code}`);
  });

  it("text it cannot place is kept: offered as a tip or a question; the old button later says it has expired", async () => {
    const p = await vietnamese(9503);
    const text = "hôm nay trời đẹp nhỉ, mà xóm tôi dạo này lạ lắm";
    const offer = await p.say(text);
    expect(offer.text).not.toMatch(NOT_UNDERSTOOD);
    expect(offer.options).toEqual(expect.arrayContaining(["🚨 Gửi thành tin báo", "❓ Hỏi như câu hỏi pháp luật"]));
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "9503" } });
    expect(chat.flow).not.toContain("xóm tôi"); // kept sealed
    const started = await p.press("Gửi thành tin báo");
    expect(started.text).toContain("Bạn muốn báo tin về việc gì?");
    expect(await draftOf("9503")).toMatchObject({ description: [text] });
    await p.press("data:flow:cancel");
    const expired = await p.press("data:free:report");
    expect(expired.text).toContain("thuộc một tin nhắn cũ");
    const oldCategory = await p.press("data:cat:drugs");
    expect(oldCategory.text).toContain("thuộc một tin nhắn cũ");
  });

  it("someone new who starts with an incident is served at once, in the language they wrote", async () => {
    const vi = new TelegramTipster(tg, 9504);
    const first = await vi.say("Nhà hàng xóm tối nào cũng đánh bạc, ồn ào cả xóm, tôi muốn báo công an");
    expect(first.text).toContain("Bạn muốn báo tin về việc gì?");
    expect((await t.db.chat.findFirstOrThrow({ where: { platformChatId: "9504" } })).locale).toBe("vi");

    const en = new TelegramTipster(tg, 9505);
    const english = await en.say("Someone stole my motorbike last night and I want to report it");
    expect(english.text).toContain("What would you like to report?");
    expect(english.text).toContain("What you wrote is kept");

    const km = new TelegramTipster(tg, 9506);
    const khmer = await km.say("យប់មិញចោរលួចម៉ូតូរបស់ខ្ញុំ ខ្ញុំចង់រាយការណ៍");
    expect(khmer.text).toMatch(KHMER);
    expect((await t.db.chat.findFirstOrThrow({ where: { platformChatId: "9506" } })).locale).toBe("km");
  });

  it("choosing ភាសាខ្មែរ answers in Khmer", async () => {
    const p = new TelegramTipster(tg, 9507);
    await p.command("/start");
    const chosen = await p.press("data:lang:km");
    expect(chosen.text).toMatch(KHMER);
    expect(chosen.text).not.toContain("Đã chọn tiếng Việt");
    expect(chosen.options.every((o) => KHMER.test(o) || /^[\p{Emoji}\s\d]+$/u.test(o) || o.includes("Tiếng") || o.includes("English"))).toBe(true);
  });
});
