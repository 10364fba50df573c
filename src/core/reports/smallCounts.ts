/**
 * The small-count rule of every aggregate the police side publishes (the monthly report here):
 * a count of 1 or 2 tips for one unit, category and month is never shown, so a figure cannot single
 * out an anonymous tipster in a small commune. It is shown as "<3" instead; 0 and 3 or more show as
 * they are. The one place this module applies the rule.
 */

/** Counts below this (and above 0) are held back. */
export const SMALL_COUNT_LIMIT = 3;

/** A count as it may be shown: the number, or "<3" for a count held back. */
export type ShownCount = number | "<3";

/** A count as it may be shown (1 and 2 become "<3"). */
export function suppressSmall(count: number): ShownCount {
  return count > 0 && count < SMALL_COUNT_LIMIT ? "<3" : count;
}
