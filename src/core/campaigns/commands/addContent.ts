import { z } from "zod";
import type { Tx } from "../../../db/client.ts";
import { actorKey, recordEvent, type Actor } from "../../events/recordEvent.ts";
import { TOPICS } from "../../subscriptions/topics.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

const localized = z.object({ vi: z.string().trim().min(1).max(3500), en: z.string().trim().max(3500).optional(), km: z.string().trim().max(3500).optional() });

/** What outreach staff write: validated before it enters the library. */
export const contentSchema = z.object({
  title: z.string().trim().min(3).max(200),
  bodies: localized,
  imageUrl: z.url({ protocol: /^https$/ }).optional(),
  source: z.object({ law: z.string().trim().min(3).max(300), article: z.string().trim().max(100).optional(), effectiveDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }),
  topics: z.array(z.enum(TOPICS)).min(1),
  quiz: z
    .array(
      z
        .object({
          question: localized,
          options: z.array(localized).min(2).max(4),
          /** Index of the correct option (shown to staff in the report; optional for older content). */
          answer: z.number().int().min(0).max(3).optional(),
        })
        .refine((q) => q.answer === undefined || q.answer < q.options.length, { path: ["answer"], message: "answer" }),
    )
    .max(3)
    .default([]),
});
export type ContentInput = z.input<typeof contentSchema>;

/**
 * Adds a message to the content library (Vietnamese text and a legal source are required; a bad
 * shape throws the ZodError and changes nothing). Outreach staff and administrators (the library is
 * shared by every area); records `content.added`.
 */
export async function addContent(tx: Tx, props: { actor: Actor; input: unknown; via?: string | null }) {
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "content_add", via: props.via });
  if (!auth.ok) return auth;
  const c = contentSchema.parse(props.input);
  const content = await tx.content.create({
    data: {
      title: c.title,
      bodies: JSON.stringify(c.bodies),
      imageUrl: c.imageUrl ?? null,
      source: JSON.stringify(c.source),
      topics: JSON.stringify(c.topics),
      quiz: JSON.stringify(c.quiz),
      createdBy: actorKey(props.actor),
    },
  });
  await recordEvent(tx, { action: "content.added", actor: props.actor, via: props.via, data: { contentId: content.id, title: c.title } });
  return { ok: true as const, content };
}
