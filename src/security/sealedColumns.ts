/**
 * Every place the service keeps sealed values (AES-256-GCM, security/sealing.ts), in one list, with
 * the context each value is bound to. Key rotation (`keys:rotate`) and `keys:check` read this list;
 * they also scan every text column of the schema, so a sealed value stored somewhere not listed here
 * is still found and reported (and re-sealed, when its context is in SEAL_CONTEXTS).
 * Adding a sealed column: add it here, and its context to SEAL_CONTEXTS.
 */
export interface SealedColumn {
  model: string;
  field: string;
  /** Contexts (AAD) the column's values are sealed with. */
  contexts: string[];
  /** Sealed values sit inside a larger text (e.g. JSON) rather than being the whole value. */
  embedded?: boolean;
}

/** Every context a value is sealed with anywhere in the service. */
export const SEAL_CONTEXTS = [
  "tip-contact",
  "tip-reply-ref",
  "upload-chat",
  "draft-contact-name",
  "draft-contact-phone",
  "web-history",
  "chat-answer-tip",
  "chat-lookup-code",
  "chat-free-text",
  "chat-addinfo-tip",
  "tip-pin",
];

/** The sealed columns of prisma/schema.prisma. */
export const SEALED_COLUMNS: SealedColumn[] = [
  { model: "Tip", field: "contactSealed", contexts: ["tip-contact"] },
  { model: "Tip", field: "replyRefSealed", contexts: ["tip-reply-ref"] },
  { model: "Tip", field: "pinHash", contexts: ["tip-pin"] },
  { model: "LegalQuestion", field: "replyRefSealed", contexts: ["tip-reply-ref"] },
  { model: "Upload", field: "chatId", contexts: ["upload-chat"] },
  { model: "TipDraft", field: "data", contexts: ["draft-contact-name", "draft-contact-phone"], embedded: true },
  // Delivered web chat messages (the page's history) and a chat's pending answer or look-up.
  { model: "OutboxMessage", field: "payload", contexts: ["web-history"], embedded: true },
  { model: "Chat", field: "flow", contexts: ["chat-answer-tip", "chat-lookup-code", "chat-free-text", "chat-addinfo-tip"], embedded: true },
];

/** A sealed value anywhere in a text: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts; 12-byte iv, 16-byte tag). */
export const SEALED_VALUE = /v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*/g;

/** The listed entry for a column, if any. */
export function sealedColumn(model: string, field: string): SealedColumn | undefined {
  return SEALED_COLUMNS.find((c) => c.model === model && c.field === field);
}
