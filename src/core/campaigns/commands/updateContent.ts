import type { Tx } from "../../../db/client.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import { CampaignError } from "../campaignError.ts";
import { contentSchema } from "./addContent.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

/** Campaign states in which the content they send may still change (nothing has been scheduled or sent). */
const EDITABLE_WITH = ["draft", "cancelled"];

/**
 * Replaces a library item's title, texts, legal source, topics and quiz (the same shape and rules as
 * `addContent`; a bad shape throws the ZodError and changes nothing). Outreach staff and
 * administrators. An item a campaign has scheduled, is sending or has sent is refused (`state`): what
 * residents received stays on record — copy it into a new item instead. Records `content.updated`.
 */
export async function updateContent(tx: Tx, props: { actor: Actor; contentId: string; input: unknown; via?: string | null }) {
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "content_edit", via: props.via });
  if (!auth.ok) return auth;
  const existing = await tx.content.findUnique({ where: { id: props.contentId } });
  if (!existing) throw new CampaignError("not_found", "content");
  if (await tx.campaign.count({ where: { contentId: existing.id, status: { notIn: EDITABLE_WITH } } })) throw new CampaignError("state", "content in use");
  const c = contentSchema.parse(props.input);
  const content = await tx.content.update({
    where: { id: existing.id },
    data: {
      title: c.title,
      bodies: JSON.stringify(c.bodies),
      imageUrl: c.imageUrl ?? null,
      source: JSON.stringify(c.source),
      topics: JSON.stringify(c.topics),
      quiz: JSON.stringify(c.quiz),
    },
  });
  await recordEvent(tx, { action: "content.updated", actor: props.actor, via: props.via, data: { contentId: content.id, title: c.title, was: existing.title } });
  return { ok: true as const, content };
}

/** Whether a library item may still be edited (no campaign has scheduled, is sending or has sent it). */
export async function contentEditable(tx: Tx, contentId: string): Promise<boolean> {
  return (await tx.campaign.count({ where: { contentId, status: { notIn: EDITABLE_WITH } } })) === 0;
}
