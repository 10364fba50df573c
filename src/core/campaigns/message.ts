import type { Reply } from "../reply.ts";

type Localized = { vi: string; en?: string; km?: string };

/** The campaign message in a subscriber's language: body, legal source, how to stop, and a quiz question. */
export function campaignMessage(campaign: { id: string; content: { bodies: string; source: string; quiz: string } }, locale: string): Reply {
  const bodies = JSON.parse(campaign.content.bodies) as Localized;
  const source = JSON.parse(campaign.content.source) as { law: string; article?: string; effectiveDate?: string };
  const body = bodies[locale as keyof Localized] ?? bodies.vi;
  const sourceText = [source.article, source.law].filter(Boolean).join(", ") + (source.effectiveDate ? ` (${source.effectiveDate})` : "");
  const quiz = JSON.parse(campaign.content.quiz) as Array<{ question: Localized; options: Localized[] }>;
  const first = quiz[0];
  const reply: Reply = { key: "common:raw", params: { text: body }, more: [{ key: "campaign:message.footer", params: { source: sourceText } }] };
  if (first) {
    const pick = (l: Localized) => l[locale as keyof Localized] ?? l.vi;
    reply.more!.push({ key: "campaign:message.quiz", params: { question: pick(first.question) } });
    reply.choices = first.options.map((o, i) => ({ id: `quiz:${campaign.id}:0:${i}`, labelKey: "common:raw", labelParams: { text: pick(o) } }));
  }
  return reply;
}
