/*
 * CSV text a spreadsheet program opens as data, never as a formula: every console export
 * (statistics, monthly reports, tip lists) writes its fields through these.
 */

/** A plain number (a count, a percentage): written as it is. */
const NUMBER = /^-?\d+(?:\.\d+)?$/;

/**
 * A text field that a spreadsheet would run as a formula (it begins with =, +, -, @, a tab or a
 * carriage return, and is not a plain number, e.g. "-2+3+cmd|' /C calc'!A0") prefixed with an
 * apostrophe; anything else unchanged.
 */
export const spreadsheetSafe = (v: string): string => (/^[=+\-@\t\r]/.test(v) && !NUMBER.test(v) ? `'${v}` : v);

/** One CSV field: spreadsheet-safe, then quoted as RFC 4180 says when it holds a quote, comma or line break. */
export const csvField = (v: string): string => {
  const safe = spreadsheetSafe(v);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};
