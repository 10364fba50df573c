import crypto from "node:crypto";
import type { Db } from "../../src/db/client.ts";
import { computeDeadlines, type TipExtension } from "../../src/core/deadlines/tipDeadlines.ts";
import { vnReceipt } from "../../src/core/vnTime.ts";
import type { TestApp } from "./app.ts";

/** A tip written straight into the database (for list, statistics and export tests): only what the test cares about. */
export interface TipRowSpec {
  code?: string;
  queueId: string;
  provinceCode: string;
  communeCode?: string | null;
  category?: string;
  lifeSafety?: boolean;
  status?: "new" | "claimed" | "closed";
  channel?: "telegram" | "zalo" | "web";
  receivedAt: Date;
  claimedById?: string | null;
  claimedAt?: Date | null;
  closedAt?: Date | null;
  outcome?: string | null;
  receiptNoticeSentAt?: Date | null;
  extension?: TipExtension;
  awaitingAnswerSince?: Date | null;
  description?: string;
  placeText?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  contactSealed?: string | null;
  replyRefSealed?: string;
  /** The stored PIN hash ("test": no PIN opens it). */
  pinHash?: string;
}

const issued = new Set<string>();
/** A fresh tip code (TM- and 6 characters of the codes' alphabet), never one this process issued before. */
export function randomTipCode(): string {
  for (;;) {
    const code = `TM-${Array.from(crypto.randomBytes(6), (b) => "ABCDEFGHJKMNPQRSTUVWXYZ23456789"[b % 31]).join("")}`;
    if (!issued.has(code)) {
      issued.add(code);
      return code;
    }
  }
}

/** Inserts tips (1,000 a statement), deadlines computed from receipt as the service does; returns their codes in order. */
const BATCH = 1000;
export async function insertTips(db: Db, specs: TipRowSpec[]): Promise<string[]> {
  const rows = specs.map((s) => {
    const d = computeDeadlines({ receivedAt: s.receivedAt, extension: s.extension ?? "none" });
    const r = vnReceipt(s.receivedAt);
    return {
      code: s.code ?? randomTipCode(),
      pinHash: s.pinHash ?? "test",
      category: s.category ?? "theft",
      lifeSafety: s.lifeSafety ?? false,
      status: s.status ?? "new",
      channel: s.channel ?? "telegram",
      queueId: s.queueId,
      provinceCode: s.provinceCode,
      communeCode: s.communeCode ?? null,
      placeSource: s.placeText ? "typed" : "unknown",
      placeText: s.placeText ?? null,
      latitude: s.latitude ?? null,
      longitude: s.longitude ?? null,
      occurredWhen: "today",
      description: s.description ?? "test tip",
      identityMode: s.contactSealed ? "named" : "anonymous",
      contactSealed: s.contactSealed ?? null,
      replyRefSealed: s.replyRefSealed ?? "sealed-ref",
      locale: "vi",
      receivedAt: s.receivedAt,
      receivedMonth: r.month,
      receivedHour: r.hour,
      receivedWeekday: r.weekday,
      receiptNoticeDueAt: d.receiptNoticeDue,
      receiptNoticeSentAt: s.receiptNoticeSentAt ?? null,
      decisionDueAt: d.decisionDue,
      extension: s.extension ?? "none",
      claimedById: s.claimedById ?? null,
      claimedAt: s.claimedAt ?? null,
      closedAt: s.closedAt ?? null,
      outcome: s.outcome ?? null,
      awaitingAnswerSince: s.awaitingAnswerSince ?? null,
    };
  });
  for (let i = 0; i < rows.length; i += BATCH) await db.tip.createMany({ data: rows.slice(i, i + BATCH) });
  return rows.map((r) => r.code);
}

/**
 * A theft tip in `queueId` (Hà Nội), anonymous, replied to in a new private Telegram chat
 * `platformChatId` (its reference sealed as the service seals it), the database's defaults for the
 * rest (received now, status new); two statements. Returns the tip's row.
 */
export async function insertTipWithChat(t: TestApp, p: { code: string; queueId: string; platformChatId: string; receivedMonth?: string }) {
  const chat = await t.db.chat.create({ data: { channel: "telegram", platformChatId: p.platformChatId, kind: "private" } });
  return t.db.tip.create({
    data: {
      code: p.code,
      pinHash: "unused",
      category: "theft",
      channel: "telegram",
      queueId: p.queueId,
      provinceCode: "01",
      placeSource: "typed",
      occurredWhen: "today",
      description: "Trộm xe máy.",
      identityMode: "anonymous",
      replyRefSealed: t.sealer.seal(chat.id, "tip-reply-ref"),
      locale: "vi",
      ...(p.receivedMonth ? { receivedMonth: p.receivedMonth } : {}),
    },
  });
}
