import type { Tx } from "../../db/client.ts";
import { campaignButton } from "../actions/buttons.ts";
import { ACTIONS, type ActionId } from "../actions/catalog.ts";
import type { Translate } from "../../i18n.ts";
import { enqueueCalls, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import type { ChatRecord } from "../chats/findOrCreateChat.ts";
import type { Actor } from "../events/recordEvent.ts";
import { officerName } from "../officers/authorize.ts";
import type { Reply } from "../reply.ts";
import { formatVnDateTime } from "../vnTime.ts";
import type { Renderers } from "../tips/notifyTipster.ts";
import { parseAudience, type Audience } from "./audience.ts";
import { CampaignError } from "./campaignError.ts";
import { authorizeStaff, recordStaffRefusal } from "./commands/authorizeStaff.ts";
import { cancelCampaign } from "./commands/cancelCampaign.ts";
import { confirmCampaign } from "./commands/confirmCampaign.ts";
import { createCampaign } from "./commands/createCampaign.ts";
import { pauseCampaign } from "./commands/pauseCampaign.ts";
import { resumeCampaign } from "./commands/resumeCampaign.ts";
import { campaignMessage } from "./message.ts";
import { reportReply } from "./report.ts";
import type { QuietHours } from "./schedule.ts";

export interface StaffDeps {
  t: Translate;
  /** The configured quiet hours (CAMPAIGN_QUIET_HOURS). */
  quiet?: QuietHours;
  /** Renders for Telegram groups. */
  officerRenderer: ReplyRenderer;
  renderers: Renderers;
}

/**
 * The actor behind a Telegram user in the staff group: their officer record (the commands check its
 * role, state and area), or null for a user who is not registered at all — then that refusal is
 * recorded here (`auth.refused`, reason `not_officer`, action `campaign.<what>`).
 */
async function actorOf(tx: Tx, telegramUserId: string, attempt: { action: string; via: string; campaignId?: string }): Promise<(Actor & { kind: "officer" }) | null> {
  const officer = await tx.officer.findUnique({ where: { telegramUserId }, select: { id: true } });
  if (officer) return { kind: "officer", officerId: officer.id };
  await recordStaffRefusal(tx, { actor: `telegram-user:${telegramUserId}`, action: attempt.action, reason: "not_officer", via: attempt.via, campaignId: attempt.campaignId });
  return null;
}

/** The fourth part of /campaign that marks a campaign paid: "trả phí" (or without diacritics), "paid", Khmer "បង់ប្រាក់". */
const PAID_WORDS = /^(trả phí|tra phi|paid|បង់ប្រាក់)$/iu;

/** The campaign actions offered as buttons in each state. */
const BUTTONS_IN: Record<string, ActionId[]> = {
  draft: ["campaign.confirm", "campaign.cancel"],
  scheduled: ["campaign.pause", "campaign.cancel", "campaign.report"],
  running: ["campaign.pause", "campaign.cancel", "campaign.report"],
  paused: ["campaign.resume", "campaign.cancel", "campaign.report"],
};

/** A campaign's buttons in a state, their data encoded from the action table. */
const buttonsFor = (id: string, status: string): Reply["choices"] =>
  (BUTTONS_IN[status] ?? ["campaign.report"]).map((action) => ({ id: campaignButton(action, id), labelKey: `campaign:staff.${ACTIONS[action].button}` }));

type StaffBase = { actor: Actor & { kind: "officer" }; campaignId: string; via: string };
type Changed = { ok: true; campaign: { status: string; nextRunAt: Date | null } } | { ok: false; reason: string };

/**
 * The campaign rows of the action table that change a campaign from a button: the command each
 * runs, what the group is told (params: staff, id, at) and the buttons that follow (none: the
 * campaign is over). The report changes nothing and is answered with the report itself.
 */
const CAMPAIGN_PRESSES: Partial<Record<ActionId, { run: (tx: Tx, deps: StaffDeps, base: StaffBase) => Promise<Changed>; said: string; buttons: boolean }>> = {
  "campaign.confirm": { run: (tx, deps, base) => confirmCampaign(tx, { ...base, quiet: deps.quiet }), said: "campaign:staff.confirmed", buttons: true },
  "campaign.pause": { run: (tx, _deps, base) => pauseCampaign(tx, base), said: "campaign:staff.paused", buttons: true },
  "campaign.resume": { run: (tx, _deps, base) => resumeCampaign(tx, base), said: "campaign:staff.resumed", buttons: true },
  "campaign.cancel": { run: (tx, _deps, base) => cancelCampaign(tx, base), said: "campaign:staff.cancelled", buttons: false },
};

/** Commands in the outreach staff group: /content, /campaign, /campaigns. Registered staff only. */
export async function staffCommand(tx: Tx, deps: StaffDeps, actor: { group: ChatRecord; telegramUserId: string; text: string }): Promise<OutboxRef[] | null> {
  const match = /^\/(content|campaign|campaigns)(?:@\w+)?(?:\s+([\s\S]*))?$/i.exec(actor.text.trim());
  if (!match) return null;
  const group = actor.group;
  const say = (reply: Reply) => enqueueCalls(tx, { chatId: group.id, channel: group.channel }, deps.officerRenderer.render(reply, group.locale ?? "vi").calls);
  const command = match[1]!.toLowerCase();
  const rest = (match[2] ?? "").trim();
  const t = (key: string, params?: Record<string, unknown>) => deps.t(group.locale ?? "vi", key, params);
  const who = await actorOf(tx, actor.telegramUserId, { action: command === "campaign" ? "create" : command, via: group.id });
  if (!who) return say({ key: "campaign:staff.not_staff" });

  if (command === "content" || command === "campaigns") {
    // Reading the library or the list changes nothing: the role is checked (and a refusal recorded) here.
    const auth = await authorizeStaff(tx, { actor: who, action: command, via: group.id });
    if (!auth.ok) return say({ key: "campaign:staff.not_staff" });
  }
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
  const [contentId, schedule, audienceText, paidText, ...extra] = rest.split("|").map((p) => p.trim());
  let audience: Audience | undefined;
  let badAudience: CampaignError | undefined;
  try {
    audience = parseAudience(audienceText ?? "");
  } catch (err) {
    if (!(err instanceof CampaignError)) throw err;
    badAudience = err;
  }
  // A fourth part marks the campaign paid (the platform's paid pace, billed); nothing else may follow.
  const paidBroadcast = extra.length > 0 ? undefined : !paidText ? false : PAID_WORDS.test(paidText) ? true : undefined;
  if (paidBroadcast === undefined) badAudience ??= new CampaignError("bad_paid", "paid");
  if (!contentId || !schedule || badAudience) {
    // Nothing to create: only staff learn how to write the command (a refusal is recorded for others).
    const auth = await authorizeStaff(tx, { actor: who, action: "create", via: group.id });
    if (!auth.ok) return say({ key: "campaign:staff.not_staff" });
    if (!contentId || !schedule) return say({ key: "campaign:staff.usage" });
    return say({ key: "campaign:staff.bad", params: { reason: { $t: `campaign:staff.reason.${badAudience!.reason}` } } });
  }
  try {
    const created = await createCampaign(tx, { actor: who, contentId, schedule, audience, paidBroadcast, via: group.id });
    if (!created.ok) return say(refusalReply(created.reason));
    const campaign = created.campaign;
    const staff = await tx.officer.findUniqueOrThrow({ where: { id: who.officerId } });
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
        params: { id: campaign.id, title: content.title, schedule, audience: audienceText || t("campaign:staff.all"), staff: officerName(staff), paid: paidBroadcast ? { $t: "campaign:staff.paid_note" } : "" },
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

/** What a refused staff member is told: not staff, or (an area refusal) that the audience lies outside their area. */
function refusalReply(reason: string): Reply {
  return reason === "scope" ? { key: "campaign:staff.bad", params: { reason: { $t: "campaign:staff.reason.scope" } } } : { key: "campaign:staff.not_staff" };
}

/** A staff button (`c:<action>:<campaignId>`, decoded by actions/buttons.ts): confirm, pause, resume, cancel, report. */
export async function staffPress(tx: Tx, deps: StaffDeps, actor: { group: ChatRecord; telegramUserId: string; press: { action: ActionId | null; code: string; campaignId: string } }): Promise<{ refs: OutboxRef[]; answer?: string; alert?: boolean }> {
  const { action, code: act, campaignId: id } = actor.press;
  const group = actor.group;
  const t = (key: string, params?: Record<string, unknown>) => deps.t(group.locale ?? "vi", key, params);
  const who = await actorOf(tx, actor.telegramUserId, { action: act, via: group.id, campaignId: id });
  const notStaff = { refs: [], answer: t("campaign:staff.not_staff"), alert: true };
  if (!who) return notStaff;
  const say = (reply: Reply) => enqueueCalls(tx, { chatId: group.id, channel: group.channel }, deps.officerRenderer.render(reply, group.locale ?? "vi").calls);
  const refused = (reason: string) => (reason === "scope" ? { refs: [], answer: t("campaign:staff.bad", { reason: t("campaign:staff.reason.scope") }), alert: true } : notStaff);
  const base = { actor: who, campaignId: id, via: group.id };
  const row = action ? CAMPAIGN_PRESSES[action] : undefined;
  try {
    if (row) {
      const r = await row.run(tx, deps, base);
      if (!r.ok) return refused(r.reason);
      const staff = officerName(await tx.officer.findUniqueOrThrow({ where: { id: who.officerId } }));
      const at = r.campaign.nextRunAt ? formatVnDateTime(r.campaign.nextRunAt) : "";
      return { refs: await say({ key: row.said, params: { staff, id, at }, ...(row.buttons ? { choices: buttonsFor(id, r.campaign.status), columns: 3 } : {}) }) };
    }
    // The report (and anything unknown) changes nothing: the role is checked (and a refusal recorded) here.
    const auth = await authorizeStaff(tx, { actor: who, action: act, via: group.id, campaignId: id });
    if (!auth.ok) return notStaff;
    if (action === "campaign.report") return { refs: await say(await reportReply(tx, id)) };
  } catch (err) {
    if (err instanceof CampaignError) return { refs: [], answer: t("campaign:staff.bad", { reason: t(`campaign:staff.reason.${err.reason}`) }) };
    throw err;
  }
  return { refs: [] };
}
