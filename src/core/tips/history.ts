import type { Db, Tx } from "../../db/client.ts";
import { officerName } from "../officers/authorize.ts";
import type { Reply, TextBlock, TranslatedParam } from "../reply.ts";
import { formatVnDateTime as vnDateTime } from "../vnTime.ts";

/** Audit actions on a tip that `/tip` tells in words (`officer:history.<action without "tip.">`). */
const TOLD = new Set([
  "tip.submitted",
  "tip.claimed",
  "tip.released",
  "tip.reopened",
  "tip.question_sent",
  "tip.answer_received",
  "tip.information_added",
  "tip.note_added",
  "tip.priority_set",
  "tip.transferred",
  "tip.classified",
  "tip.extended",
  "tip.closed",
  "tip.contact_opened",
  "tip.escalated",
  "tip.lookup_failed",
  "contact_erased",
]);

/** Audit events on a tip that are not changes to it (refusals, a file opened): kept for accountability, left out of its history. */
const NOT_CHANGES = new Set(["auth.refused", "tip.media.viewed"]);

/** Actors other than officers, named by role only: a tipster (even a named one) is "the tipster", never who they are. */
const ROLE_ACTORS: Record<string, string> = { tipster: "tipster", system: "system", public: "public", resident: "public" };

const CHANNEL_NAMES: Record<string, string> = { telegram: "Telegram", zalo: "Zalo", web: "Web" };

function parse(data: string): Record<string, unknown> {
  try {
    const value = JSON.parse(data) as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** One line of a tip's history: when, who (an officer's name, or a role), what (in words). */
export interface HistoryLine {
  at: Date;
  actor: string | TranslatedParam;
  action: TranslatedParam;
}

/**
 * A tip's history as `/tip` shows it: one line per audit event, oldest first, in Vietnam's time,
 * "time — who: what" with the action in words (its outcome, classification, units, priority where
 * it has one). Officers are named; tipsters, the public and the system by their role only, so an
 * anonymous tipster's identity never reaches the group. Refusals and files opened are left out
 * (they are not changes to the tip).
 */
export async function tipHistory(tx: Tx, tip: { id: string; code: string; channel: string }): Promise<Reply> {
  const lines: TextBlock[] = (await historyLines(tx, tip)).map((l) => ({
    key: "officer:command.history_line",
    params: { time: vnDateTime(l.at), actor: l.actor, action: l.action },
  }));
  return { key: "officer:command.history_title", params: { code: tip.code }, strong: true, more: lines, compact: true };
}

/** The lines of a tip's history (see `tipHistory`), oldest first: the same words in the group and in the console. */
export async function historyLines(tx: Db | Tx, tip: { id: string; channel: string }): Promise<HistoryLine[]> {
  const events = (await tx.auditEvent.findMany({ where: { tipId: tip.id }, orderBy: [{ at: "asc" }, { id: "asc" }] })).filter((a) => !NOT_CHANGES.has(a.action));
  const officerIds = events.map((a) => /^officer:(.+)$/.exec(a.actor)?.[1]).filter((id): id is string => !!id);
  const officers = new Map((await tx.officer.findMany({ where: { id: { in: officerIds } } })).map((o) => [`officer:${o.id}`, o]));
  const data = events.map((a) => parse(a.data));
  const queueIds = data.flatMap((d) => [d.from, d.to]).filter((v): v is string => typeof v === "string");
  const queues = new Map((await tx.queue.findMany({ where: { id: { in: queueIds } } })).map((q) => [q.id, q.name]));

  const actorOf = (actor: string): string | TranslatedParam => {
    const officer = officers.get(actor);
    if (officer) return officerName(officer);
    const role = ROLE_ACTORS[actor] ?? (actor.startsWith("admin") ? "admin" : "unknown");
    return { $t: `officer:history.actor_${role}` };
  };
  const what = (action: string, d: Record<string, unknown>): TranslatedParam => {
    if (!TOLD.has(action)) return { $t: "officer:history.other", params: { action } };
    const key = `officer:history.${action.replace(/^tip\./, "")}`;
    const tr = (k: string) => ({ $t: k });
    switch (action) {
      case "tip.submitted":
        return { $t: key, params: { channel: CHANNEL_NAMES[tip.channel] ?? tip.channel } };
      case "tip.closed":
        return { $t: key, params: { value: tr(`officer:outcome.${String(d.outcome)}`) } };
      case "tip.classified":
        return { $t: key, params: { value: tr(`officer:classification.${String(d.to)}`) } };
      case "tip.extended":
        return { $t: key, params: { value: tr(`officer:button.extend_${String(d.to)}`) } };
      case "tip.transferred":
        return { $t: key, params: { from: queues.get(String(d.from)) ?? "—", to: queues.get(String(d.to)) ?? "—" } };
      case "tip.escalated":
        return { $t: key, params: { what: typeof d.what === "string" && d.what.startsWith("officer:reminder.") ? tr(d.what) : "" } };
      case "tip.priority_set": {
        const to = (d.to ?? {}) as { priority?: string; lifeSafety?: boolean };
        if (to.lifeSafety !== undefined) return tr(`officer:history.life_safety_${to.lifeSafety ? "on" : "off"}`);
        return { $t: key, params: { value: tr(`officer:button.priority_${to.priority === "high" ? "high" : "normal"}`) } };
      }
      default:
        return tr(key);
    }
  };
  return events.map((a, i) => ({ at: a.at, actor: actorOf(a.actor), action: what(a.action, data[i]!) }));
}
