import { z } from "zod";
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
