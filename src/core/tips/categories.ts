/** Tip categories, stored as codes and shown translated (`tip:category.<code>`). */
export const CATEGORIES = [
  "drugs",
  "gambling",
  "theft",
  "online_fraud",
  "loan_sharking",
  "public_disorder",
  "domestic_violence",
  "smuggling",
  "traffic",
  "other",
] as const;
export type Category = (typeof CATEGORIES)[number];

export function isCategory(value: unknown): value is Category {
  return typeof value === "string" && (CATEGORIES as readonly string[]).includes(value);
}

/** Categories with a follow-up question of their own (`tip:details.<code>`). */
export const DETAIL_CATEGORIES: ReadonlySet<Category> = new Set(["online_fraud", "drugs", "loan_sharking", "gambling"]);

/** How a tipster chose to be known. */
export const IDENTITY_MODES = ["anonymous", "confidential", "named"] as const;
export type IdentityMode = (typeof IDENTITY_MODES)[number];

/** When it happened, as offered in the menu; a tipster may also type their own words. */
export const WHEN_CODES = ["now", "today", "yesterday", "this_week", "earlier"] as const;

/**
 * Phone numbers, bank-account-like numbers and links found in an online-fraud tipster's answer,
 * so officers can search and act on them (e.g. ask a bank to freeze an account).
 */
export function extractFraudIdentifiers(text: string): { phones: string[]; accounts: string[]; links: string[] } {
  const links = [...new Set(text.match(/\b(?:https?:\/\/|www\.)[^\s<>"']+|\b[a-z0-9-]+\.(?:com|vn|net|org|info|xyz|top|shop|online|site|app|me|io|cc|club)(?:\/[^\s<>"']*)?/gi) ?? [])];
  const withoutLinks = links.reduce((acc, l) => acc.split(l).join(" "), text);
  const phones: string[] = [];
  const accounts: string[] = [];
  for (const m of withoutLinks.matchAll(/\+?\d[\d .-]{6,20}\d/g)) {
    const digits = m[0].replace(/[^\d+]/g, "");
    const national = digits.startsWith("+84") ? "0" + digits.slice(3) : digits.startsWith("84") && digits.length === 11 ? "0" + digits.slice(2) : digits;
    if (/^0[35789]\d{8}$/.test(national) || /^02\d{9}$/.test(national)) phones.push(national);
    else if (/^\d{6,19}$/.test(digits)) accounts.push(digits);
  }
  return { phones: [...new Set(phones)], accounts: [...new Set(accounts)], links };
}

/** A Vietnamese phone number in national form (0xxxxxxxxx), or undefined when it is not one. */
export function normalisePhone(text: string): string | undefined {
  const digits = text.replace(/[\s.()-]/g, "");
  const national = digits.startsWith("+84") ? "0" + digits.slice(3) : digits.startsWith("84") && digits.length === 11 ? "0" + digits.slice(2) : digits;
  return /^0\d{9}$/.test(national) ? national : undefined;
}
