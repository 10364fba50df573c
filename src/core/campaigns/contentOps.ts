import { z } from "zod";
import type { Tx } from "../../db/client.ts";
import { TOPICS } from "../subscriptions/topics.ts";

const localized = z.object({ vi: z.string().trim().min(1).max(3500), en: z.string().trim().max(3500).optional(), km: z.string().trim().max(3500).optional() });

/** What outreach staff write: validated before it enters the library. */
export const contentSchema = z.object({
  title: z.string().trim().min(3).max(200),
  bodies: localized,
  imageUrl: z.url({ protocol: /^https$/ }).optional(),
  source: z.object({ law: z.string().trim().min(3).max(300), article: z.string().trim().max(100).optional(), effectiveDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }),
  topics: z.array(z.enum(TOPICS)).min(1),
  quiz: z
    .array(z.object({ question: localized, options: z.array(localized).min(2).max(4) }))
    .max(3)
    .default([]),
});
export type ContentInput = z.input<typeof contentSchema>;

/** Adds a message to the content library (Vietnamese text and a legal source are required). */
export async function addContent(tx: Tx, props: { input: unknown; createdBy: string }) {
  const c = contentSchema.parse(props.input);
  const content = await tx.content.create({
    data: {
      title: c.title,
      bodies: JSON.stringify(c.bodies),
      imageUrl: c.imageUrl ?? null,
      source: JSON.stringify(c.source),
      topics: JSON.stringify(c.topics),
      quiz: JSON.stringify(c.quiz),
      createdBy: props.createdBy,
    },
  });
  await tx.auditEvent.create({ data: { actor: props.createdBy, action: "content.added", data: JSON.stringify({ contentId: content.id, title: c.title }) } });
  return content;
}
