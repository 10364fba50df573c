import { z } from "zod";
import { Prisma, type Tx } from "../../db/client.ts";
import { LOCALES } from "../../i18n.ts";
import { fold } from "../text.ts";
import { TOPICS } from "../subscriptions/topics.ts";
import { CampaignError } from "./campaignError.ts";

/** Who a campaign goes to: all active subscribers, narrowed by province, commune, topic and language. */
export const audienceSchema = z
  .object({
    provinces: z.array(z.string().regex(/^\d{2}$/)).optional(),
    communes: z.array(z.string().regex(/^\d{5}$/)).optional(),
    topics: z.array(z.enum(TOPICS)).optional(),
    language: z.enum(LOCALES).optional(),
  })
  .strict();
export type Audience = z.infer<typeof audienceSchema>;

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

/**
 * The SQL conditions that pick an audience's subscribers (alias `s`, their chat `c`): active, reachable,
 * and matching its provinces, communes, topics and language. The engine materialises deliveries with
 * exactly these, so a count made with them is the number of messages a run would queue now.
 */
export function audienceConditions(audience: Audience): Prisma.Sql[] {
  const where: Prisma.Sql[] = [Prisma.sql`s."active" = true`, Prisma.sql`c."unreachableAt" IS NULL`];
  if (audience.provinces?.length) where.push(Prisma.sql`s."provinceCode" IN (${Prisma.join(audience.provinces)})`);
  if (audience.communes?.length) where.push(Prisma.sql`s."communeCode" IN (${Prisma.join(audience.communes)})`);
  if (audience.topics?.length) where.push(Prisma.sql`(${Prisma.join(audience.topics.map((t) => Prisma.sql`s."topics" LIKE ${`%"${t}"%`}`), " OR ")})`);
  if (audience.language) where.push(Prisma.sql`COALESCE(c."locale", 'vi') = ${audience.language}`);
  return where;
}

/** `FROM … WHERE …` over subscribers and their chats with the given conditions. */
export const audienceFrom = (where: Prisma.Sql[]): Prisma.Sql =>
  Prisma.sql`FROM "Subscription" s JOIN "Chat" c ON c."id" = s."chatId" WHERE ${Prisma.join(where, " AND ")}`;

/** How many subscribers a campaign with this audience would reach if it started now (one indexed count; nothing loaded). */
export async function countAudience(tx: Tx, audience: Audience): Promise<number> {
  const [row] = await tx.$queryRaw<Array<{ n: number | bigint }>>`SELECT COUNT(*) AS "n" ${audienceFrom(audienceConditions(audience))}`;
  return Number(row?.n ?? 0);
}
