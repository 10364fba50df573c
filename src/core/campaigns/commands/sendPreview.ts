import type { Tx } from "../../../db/client.ts";
import { isLocale } from "../../../i18n.ts";
import { enqueueCalls, type OutboxRef } from "../../../outbox/outbound.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import type { Renderers } from "../../tips/notifyTipster.ts";
import { CampaignError } from "../campaignError.ts";
import { campaignMessage } from "../message.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

/** The campaign id a preview's quiz buttons carry: no campaign has it, so a press on them is never counted. */
export const PREVIEW_CAMPAIGN_ID = "preview";

/**
 * Sends a library item, exactly as residents would receive it (text, legal source, how to stop, the
 * quiz), to the staff member's OWN private chat with the bot — never to anyone else — in `locale`
 * (default: their chat's language). Outreach staff and administrators registered as officers.
 * `sent` is false (nothing queued or recorded) when their private chat is unknown or unreachable.
 * Records `content.previewed`.
 */
export async function sendPreview(tx: Tx, props: { actor: Actor; contentId: string; renderers: Renderers; locale?: string; via?: string | null }) {
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "preview", via: props.via });
  if (!auth.ok) return auth;
  const content = await tx.content.findUnique({ where: { id: props.contentId } });
  if (!content) throw new CampaignError("not_found", "content");
  const chatId = auth.officer?.privateChatId;
  const chat = chatId ? await tx.chat.findUnique({ where: { id: chatId } }) : null;
  const renderer = chat && !chat.unreachableAt && chat.kind === "private" ? props.renderers[chat.channel] : undefined;
  if (!chat || !renderer) return { ok: true as const, sent: false, refs: [] as OutboxRef[] };
  const locale = isLocale(props.locale) ? props.locale : (chat.locale ?? "vi");
  const reply = campaignMessage({ id: PREVIEW_CAMPAIGN_ID, content }, locale);
  const refs = await enqueueCalls(tx, { chatId: chat.id, channel: chat.channel }, renderer.render(reply, locale).calls);
  await recordEvent(tx, { action: "content.previewed", actor: props.actor, via: props.via, data: { contentId: content.id, locale } });
  return { ok: true as const, sent: true, refs };
}
