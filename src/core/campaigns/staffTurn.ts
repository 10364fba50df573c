import type { Tx } from "../../db/client.ts";
import type { Translate } from "../../i18n.ts";
import { enqueueCalls, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import type { ChatRecord } from "../chats/findOrCreateChat.ts";
import { actorOf, officerName, recordRefusal } from "../officers/authorize.ts";
import type { Reply } from "../reply.ts";
import { fold } from "../text.ts";
import { formatVnDateTime } from "../vnTime.ts";
import type { Renderers } from "../tips/notifyTipster.ts";
import { CampaignError, campaignReport, cancelCampaign, confirmCampaign, createCampaign, pauseCampaign, resumeCampaign, type Audience } from "./campaignOps.ts";
import { campaignMessage } from "./engine.ts";
import type { QuietHours } from "./schedule.ts";

/** The queue whose group is the outreach staff's. */
export const OUTREACH_QUEUE_ID = "outreach:VN";

export interface StaffDeps {
  t: Translate;
  /** The configured quiet hours (CAMPAIGN_QUIET_HOURS). */
  quiet?: QuietHours;
  /** Renders for Telegram groups. */
  officerRenderer: ReplyRenderer;
  renderers: Renderers;
}

/** Reads "tỉnh 01, 79; chủ đề fraud; tiếng vi" (or "province …; topic …; language …") into an audience. */
export function parseAudience(text: string): Audience {
  const audience: Audience = {};
  for (const part of text.split(";").map((p) => p.trim()).filter(Boolean)) {
    const folded = fold(part);
    const values = part.replace(/^[^\d\w]*?(tỉnh|tinh|province|provinces|xã|xa|phường|phuong|commune|communes|chủ đề|chu de|topic|topics|tiếng|tieng|language)\s*:?\s*/i, "");
    const list = values.split(/[,\s]+/).map((v) => v.trim()).filter(Boolean);
    if (/^(tinh|province)/.test(folded)) audience.provinces = list;
    else if (/^(xa|phuong|commune)/.test(folded)) audience.communes = list;
    else if (/^(chu de|topic)/.test(folded)) audience.topics = list as Audience["topics"];
    else if (/^(tieng|language)/.test(folded)) audience.language = list[0] as Audience["language"];
    else throw new CampaignError("bad_audience", part);
  }
  return audience;
}

/** Campaigns are run by outreach staff and administrators; officers, commanders and legal staff are refused. */
export const CAMPAIGN_ROLES: readonly string[] = ["outreach", "admin"];

/**
 * The registered, active outreach staff member (or administrator) behind a Telegram user, or null —
 * then the refusal is recorded as an audit event (`auth.refused`, action `campaign.<what>`).
 */
async function staffOf(tx: Tx, telegramUserId: string, attempt: { action: string; via: string; campaignId?: string }) {
  const officer = await tx.officer.findUnique({ where: { telegramUserId } });
  if (officer && !officer.revokedAt && CAMPAIGN_ROLES.includes(officer.role)) return officer;
  const reason = !officer ? "not_officer" : officer.revokedAt ? "revoked" : "role";
  await recordRefusal(tx, {
    actor: actorOf(officer, telegramUserId),
    action: `campaign.${attempt.action}`,
    reason,
    via: attempt.via,
    data: attempt.campaignId ? { campaignId: attempt.campaignId } : undefined,
  });
  return null;
}

const buttonsFor = (id: string, status: string): Reply["choices"] => {
  const b = (act: string) => ({ id: `c:${act}:${id}`, labelKey: `campaign:staff.${act}` });
  if (status === "draft") return [b("confirm"), b("cancel")];
  if (status === "scheduled" || status === "running") return [b("pause"), b("cancel"), b("report")];
  if (status === "paused") return [b("resume"), b("cancel"), b("report")];
  return [b("report")];
};

/** Commands in the outreach staff group: /content, /campaign, /campaigns. Registered staff only. */
export async function staffCommand(tx: Tx, deps: StaffDeps, actor: { group: ChatRecord; telegramUserId: string; text: string }): Promise<OutboxRef[] | null> {
  const match = /^\/(content|campaign|campaigns)(?:@\w+)?(?:\s+([\s\S]*))?$/i.exec(actor.text.trim());
  if (!match) return null;
  const group = actor.group;
  const say = (reply: Reply) => enqueueCalls(tx, { chatId: group.id, channel: group.channel }, deps.officerRenderer.render(reply, group.locale ?? "vi").calls);
  const staff = await staffOf(tx, actor.telegramUserId, { action: match[1]!.toLowerCase(), via: group.id });
  if (!staff) return say({ key: "campaign:staff.not_staff" });
  const t = (key: string, params?: Record<string, unknown>) => deps.t(group.locale ?? "vi", key, params);
  const command = match[1]!.toLowerCase();
  const rest = (match[2] ?? "").trim();

  if (command === "content") {
    const items = await tx.content.findMany({ orderBy: { createdAt: "desc" }, take: 30 });
    const lines = [t("campaign:staff.content_title", { count: items.length }), ...items.map((c) => t("campaign:staff.content_line", { id: c.id, title: c.title }))];
    return say({ key: "common:raw", params: { text: lines.join("\n") } });
  }
  if (command === "campaigns") {
    const campaigns = await tx.campaign.findMany({ where: { status: { in: ["draft", "scheduled", "running", "paused"] } }, include: { content: true }, orderBy: { createdAt: "asc" } });
    const refs: OutboxRef[] = [];
    for (const c of campaigns) refs.push(...(await say({ key: "common:raw", params: { text: `${c.id} · ${c.status} · ${c.content.title}` }, choices: buttonsFor(c.id, c.status), columns: 3 })));
    return refs.length ? refs : say({ key: "officer:command.empty" });
  }
  const [contentId, schedule, audienceText] = rest.split("|").map((p) => p.trim());
  if (!contentId || !schedule) return say({ key: "campaign:staff.usage" });
  try {
    const campaign = await createCampaign(tx, { contentId, schedule, audience: parseAudience(audienceText ?? ""), by: `officer:${staff.id}` });
    const content = await tx.content.findUniqueOrThrow({ where: { id: contentId } });
    const refs: OutboxRef[] = [];
    // The preview goes to the staff member's own chat first.
    const privateChat = staff.privateChatId ? await tx.chat.findUnique({ where: { id: staff.privateChatId } }) : null;
    const renderer = privateChat ? deps.renderers[privateChat.channel] : undefined;
    if (privateChat && renderer) {
      const locale = privateChat.locale ?? "vi";
      refs.push(...(await enqueueCalls(tx, { chatId: privateChat.id, channel: privateChat.channel }, renderer.render(campaignMessage({ id: campaign.id, content }, locale), locale).calls)));
    }
    refs.push(
      ...(await say({
        key: "campaign:staff.draft",
        params: { id: campaign.id, title: content.title, schedule, audience: audienceText || t("campaign:staff.all"), staff: officerName(staff) },
        choices: buttonsFor(campaign.id, "draft"),
        columns: 2,
      })),
    );
    return refs;
  } catch (err) {
    if (err instanceof CampaignError) return say({ key: "campaign:staff.bad", params: { reason: { $t: `campaign:staff.reason.${err.reason}` } } });
    throw err;
  }
}

/** A staff button (`c:<action>:<campaignId>`): confirm, pause, resume, cancel, report. */
export async function staffPress(tx: Tx, deps: StaffDeps, actor: { group: ChatRecord; telegramUserId: string; data: string }): Promise<{ refs: OutboxRef[]; answer?: string; alert?: boolean }> {
  const [, act, id] = actor.data.split(":");
  const group = actor.group;
  const t = (key: string, params?: Record<string, unknown>) => deps.t(group.locale ?? "vi", key, params);
  if (!act || !id) return { refs: [] };
  const staff = await staffOf(tx, actor.telegramUserId, { action: act, via: group.id, campaignId: id });
  if (!staff) return { refs: [], answer: t("campaign:staff.not_staff"), alert: true };
  const say = (reply: Reply) => enqueueCalls(tx, { chatId: group.id, channel: group.channel }, deps.officerRenderer.render(reply, group.locale ?? "vi").calls);
  const by = `officer:${staff.id}`;
  const who = officerName(staff);
  try {
    switch (act) {
      case "confirm": {
        const c = await confirmCampaign(tx, { campaignId: id, by, quiet: deps.quiet });
        return { refs: await say({ key: "campaign:staff.confirmed", params: { staff: who, id, at: c.nextRunAt ? formatVnDateTime(c.nextRunAt) : "" }, choices: buttonsFor(id, c.status), columns: 3 }) };
      }
      case "pause":
        await pauseCampaign(tx, { campaignId: id, by });
        return { refs: await say({ key: "campaign:staff.paused", params: { staff: who, id }, choices: buttonsFor(id, "paused"), columns: 3 }) };
      case "resume":
        await resumeCampaign(tx, { campaignId: id, by });
        return { refs: await say({ key: "campaign:staff.resumed", params: { staff: who, id }, choices: buttonsFor(id, "running"), columns: 3 }) };
      case "cancel":
        await cancelCampaign(tx, { campaignId: id, by });
        return { refs: await say({ key: "campaign:staff.cancelled", params: { staff: who, id } }) };
      case "report":
        return { refs: await say(await reportReply(tx, id)) };
    }
  } catch (err) {
    if (err instanceof CampaignError) return { refs: [], answer: t("campaign:staff.bad", { reason: t(`campaign:staff.reason.${err.reason}`) }) };
    throw err;
  }
  return { refs: [] };
}

/** The final (or current) report of a campaign, for the staff group. */
export async function reportReply(tx: Tx, campaignId: string): Promise<Reply> {
  const r = await campaignReport(tx, campaignId);
  const content = await tx.content.findUniqueOrThrow({ where: { id: r.campaign.contentId } });
  const quiz = r.quiz.length ? r.quiz.map((q) => `${q.question + 1}.${q.option + 1}: ${q.count}`).join(", ") : { $t: "campaign:staff.quiz_none" };
  return {
    key: "campaign:staff.final",
    params: { id: campaignId, title: content.title, targeted: r.targeted, sent: r.sent, failed: r.failed, blocked: r.blocked, unsubscribed: r.unsubscribed, quiz },
  };
}
