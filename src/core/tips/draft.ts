import type { AlongsideWrite } from "../../outbox/outbound.ts";
import type { Tx } from "../../db/client.ts";
import { hotSqlOf, sqliteDate } from "../../db/hot.ts";
import type { Category, IdentityMode } from "./categories.ts";

/** The steps of the tip journey, in order (some are skipped depending on answers). */
export type Step =
  | "category"
  | "danger"
  | "place"
  | "place_pick"
  | "province"
  | "when"
  | "details"
  | "what"
  | "identity"
  | "contact_name"
  | "contact_phone"
  | "review";

/** The place as the tipster gave it. */
export interface DraftPlace {
  source: "location" | "typed" | "unknown";
  provinceCode: string;
  communeCode?: string;
  /** What was typed (typed places). */
  text?: string;
  lat?: number;
  lng?: number;
}

/** A question about the place waiting for the tipster's pick. */
export type PlacePick =
  | {
      kind: "communes";
      codes: string[];
      reason: "similar" | "same_name" | "legacy_split" | "border" | "nearest";
      text?: string;
      lat?: number;
      lng?: number;
      km?: number;
    }
  | { kind: "provinces"; codes: string[]; text: string };

export interface DraftAttachment {
  kind: "photo" | "video" | "voice" | "audio" | "document";
  ref: string;
  caption?: string;
}

/** Everything a tipster has answered so far. Contact details are kept sealed even in the draft. */
export interface TipDraftData {
  step: Step;
  /** Steps answered, most recent last, for "back". */
  trail: Step[];
  category?: Category;
  lifeSafety?: boolean;
  place?: DraftPlace;
  pick?: PlacePick;
  when?: string;
  details?: string;
  description: string[];
  attachments: DraftAttachment[];
  identity?: IdentityMode;
  contactNameSealed?: string;
  contactPhoneSealed?: string;
}

/** A new, empty draft at the first step; `text` carries words already written (e.g. a legal question). */
export function newDraft(text?: string): TipDraftData {
  return { step: "category", trail: [], description: text ? [text] : [], attachments: [] };
}

/** The chat's draft, if any. */
export async function loadDraft(tx: Tx, chatId: string): Promise<TipDraftData | null> {
  const hot = hotSqlOf(tx);
  if (hot) {
    const raw = await hot.get<{ data: string }>(`SELECT "data" FROM "TipDraft" WHERE "chatId" = ?`, chatId);
    return raw ? (JSON.parse(raw.data) as TipDraftData) : null;
  }
  const row = await tx.tipDraft.findUnique({ where: { chatId } });
  return row ? (JSON.parse(row.data) as TipDraftData) : null;
}

const DRAFT_UPSERT = `INSERT INTO "TipDraft" ("chatId", "data", "createdAt", "updatedAt") VALUES (?, ?, ?, ?) ON CONFLICT ("chatId") DO UPDATE SET "data" = excluded."data", "updatedAt" = excluded."updatedAt"`;

/** `saveDraft(tx, chatId, draft)` as a write made with the turn's replies (enqueueCalls `alongside`: one statement on PostgreSQL). */
export function draftWrite(tx: Tx, chatId: string, draft: TipDraftData): AlongsideWrite {
  const now = sqliteDate(new Date());
  return { sql: DRAFT_UPSERT, params: [chatId, JSON.stringify(draft), now, now], run: () => saveDraft(tx, chatId, draft) };
}

/** Stores the draft (one per chat), or removes it when `draft` is null. */
export async function saveDraft(tx: Tx, chatId: string, draft: TipDraftData | null): Promise<void> {
  const hot = hotSqlOf(tx);
  if (hot) {
    if (draft === null) await hot.run(`DELETE FROM "TipDraft" WHERE "chatId" = ?`, chatId);
    else {
      const now = sqliteDate(new Date());
      await hot.run(
        DRAFT_UPSERT,
        chatId,
        JSON.stringify(draft),
        now,
        now,
      );
    }
    return;
  }
  if (draft === null) {
    await tx.tipDraft.deleteMany({ where: { chatId } });
    return;
  }
  const data = JSON.stringify(draft);
  await tx.tipDraft.upsert({ where: { chatId }, create: { chatId, data }, update: { data } });
}
