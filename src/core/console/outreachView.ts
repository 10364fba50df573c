import type { Db, Tx } from "../../db/client.ts";
import { roleAllows } from "../actions/catalog.ts";
import { audienceSchema, type Audience } from "../campaigns/audience.ts";
import { audienceInScope } from "../campaigns/commands/authorizeStaff.ts";
import { campaignReport } from "../campaigns/report.ts";
import type { OfficerRecord } from "../officers/authorize.ts";

/** The most campaigns the console's list shows (newest first). */
export const CAMPAIGN_LIST_LIMIT = 100;
/** The most library items the console lists (newest first). */
export const CONTENT_LIST_LIMIT = 300;

/** A text in Vietnamese and, optionally, English and Khmer (a content item's body, a quiz question or option). */
export type Localized = { vi: string; en?: string; km?: string };
/** A content item's quiz question as stored. */
export type QuizQuestion = { question: Localized; options: Localized[]; answer?: number };

/** Whether a person may use the outreach tools of the console: active outreach staff and administrators. */
export const mayUseOutreach = (officer: Pick<OfficerRecord, "role" | "revokedAt">): boolean => !officer.revokedAt && roleAllows(officer.role, "campaign.create");

/** A stored campaign's audience (an unreadable one reads as nationwide, which only national staff cover). */
export function audienceOf(campaign: { audience: string }): Audience {
  try {
    const parsed = audienceSchema.safeParse(JSON.parse(campaign.audience));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** A campaign's figures, as the staff group's report counts them (see `campaignReport`), plus its quiz with the options' texts. */
export interface CampaignFigures {
  id: string;
  status: string;
  title: string;
  contentId: string;
  audience: Audience;
  paidBroadcast: boolean;
  nextRunAt: Date | null;
  createdAt: Date;
  createdBy: string;
  schedule: string;
  runs: number;
  targeted: number;
  /** Deliveries not yet settled (pending or handed to the outbox). */
  queued: number;
  sent: number;
  failed: number;
  blocked: number;
  skipped: number;
  unsubscribed: number;
  /** Per question: its text (Vietnamese), each option's text and answers, and which option is right (when known). */
  quiz: Array<{ question: string; answer?: number; options: Array<{ text: string; count: number }> }>;
}

/** A campaign's figures (read-only; the caller has checked the person may see it). */
export async function campaignFigures(db: Db | Tx, campaignId: string): Promise<CampaignFigures> {
  const r = await campaignReport(db, campaignId);
  const content = await db.content.findUniqueOrThrow({ where: { id: r.campaign.contentId } });
  const quiz = JSON.parse(content.quiz) as QuizQuestion[];
  const answers = new Map(r.quiz.map((q) => [`${q.question}:${q.option}`, q.count]));
  return {
    id: r.campaign.id,
    status: r.campaign.status,
    title: content.title,
    contentId: content.id,
    audience: audienceOf(r.campaign),
    paidBroadcast: r.campaign.paidBroadcast,
    nextRunAt: r.campaign.nextRunAt,
    createdAt: r.campaign.createdAt,
    createdBy: r.campaign.createdBy,
    schedule: r.campaign.schedule,
    runs: r.runs,
    targeted: r.targeted,
    queued: r.pending,
    sent: r.sent,
    failed: r.failed,
    blocked: r.blocked,
    skipped: r.skipped,
    unsubscribed: r.unsubscribed,
    quiz: quiz.map((q, qi) => ({
      question: q.question.vi,
      answer: q.answer,
      options: q.options.map((o, oi) => ({ text: o.vi, count: answers.get(`${qi}:${oi}`) ?? 0 })),
    })),
  };
}

/**
 * The campaigns a person's area covers (national staff: all; a province's or a commune's: those
 * whose audience lies inside it, as the commands check), newest first, with their figures.
 */
export async function campaignsInScope(db: Db, officer: Pick<OfficerRecord, "scopeKind" | "scopeCode">): Promise<CampaignFigures[]> {
  const campaigns = await db.campaign.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: CAMPAIGN_LIST_LIMIT, select: { id: true, audience: true } });
  const out: CampaignFigures[] = [];
  for (const c of campaigns) {
    if (await audienceInScope(db, officer, audienceOf(c))) out.push(await campaignFigures(db, c.id));
  }
  return out;
}

/** The content library, newest first, with whether each item may still be edited. */
export async function contentLibrary(db: Db) {
  const items = await db.content.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: CONTENT_LIST_LIMIT });
  const locked = new Set(
    (await db.campaign.findMany({ where: { status: { notIn: ["draft", "cancelled"] } }, select: { contentId: true }, distinct: ["contentId"] })).map((c) => c.contentId),
  );
  return items.map((c) => {
    const bodies = JSON.parse(c.bodies) as Localized;
    return {
      id: c.id,
      title: c.title,
      topics: JSON.parse(c.topics) as string[],
      languages: (["vi", "en", "km"] as const).filter((l) => !!bodies[l]),
      quiz: (JSON.parse(c.quiz) as QuizQuestion[]).length,
      createdAt: c.createdAt,
      editable: !locked.has(c.id),
    };
  });
}
