/** Topics of legal news a resident can subscribe to (`campaign:topic.<code>`). */
export const TOPICS = ["fraud", "drugs", "traffic", "family", "eid", "fire"] as const;
export type Topic = (typeof TOPICS)[number];

export const isTopic = (v: unknown): v is Topic => typeof v === "string" && (TOPICS as readonly string[]).includes(v);
