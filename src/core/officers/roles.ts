/** officer, commander and admin work on tips; outreach staff run campaigns; legal staff answer questions. */
export const ROLES = ["officer", "commander", "admin", "outreach", "legal"] as const;
/** One of `ROLES`. */
export type Role = (typeof ROLES)[number];
