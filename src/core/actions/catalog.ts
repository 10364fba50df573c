import type { Role } from "../officers/roles.ts";

/**
 * The action table's policy columns: every action an officer or staff member can take, from any
 * surface (a Telegram button or group command, the admin CLI, the web console), with the roles
 * allowed to take it, the name its refusals are written under in the audit log, and — for the
 * buttons — the short code the button's data carries. The rest of each row (arguments, how a chat
 * asks for them, the command it runs, the answer) is in `./table.ts`; this part is a leaf module so
 * that the commands, which authorise their actor themselves, can read it without an import circle
 * (the table imports the commands).
 */

/** The roles that work on tips. Outreach and legal staff are registered in the same table but never act on a tip. */
export const TIP_ROLES: readonly Role[] = ["officer", "commander", "admin"];
const COMMANDERS: readonly Role[] = ["commander", "admin"];
const LEGAL: readonly Role[] = ["legal", "admin"];
const ADMINS: readonly Role[] = ["admin"];
const OUTREACH: readonly Role[] = ["outreach", "admin"];

/** One action's policy: who may take it, the name its refusals carry in the audit log, its button codes. */
export interface ActionPolicy {
  roles: readonly Role[];
  /** The `action` written in an `auth.refused` event (kept as the audit log has always named it). */
  audit: string;
  /** The code of the button that starts the action on a chat surface (a tip card's button, a campaign's). */
  button?: string;
  /** The code of the buttons of its chooser, one per argument (`t:<choice>:<arg>:<tipId>`). */
  choice?: string;
}

/**
 * Every action. Finer rules that depend on a tip's state stay in the commands: releasing or closing
 * a tip someone else holds, or closing an unclaimed one, needs a commander or an administrator (the
 * `holder` moves of tips/tipStates.ts).
 */
const DEFINED = {
  // On a tip, from its card (or the CLI, by the tip's code).
  "tip.claim": { roles: TIP_ROLES, audit: "claim", button: "claim" },
  "tip.release": { roles: TIP_ROLES, audit: "release", button: "release" },
  "tip.ask": { roles: TIP_ROLES, audit: "ask", button: "ask" },
  "tip.note": { roles: TIP_ROLES, audit: "note", button: "note" },
  "tip.priority": { roles: TIP_ROLES, audit: "priority", button: "priority", choice: "prio" },
  "tip.transfer": { roles: TIP_ROLES, audit: "transfer", button: "transfer", choice: "xfer" },
  "tip.classify": { roles: TIP_ROLES, audit: "classify", button: "classify", choice: "cls" },
  "tip.close": { roles: TIP_ROLES, audit: "close", button: "close", choice: "out" },
  /** Unseals a confidential tipster's name and phone (sent in private, with a reason, audited). */
  "tip.open_contact": { roles: COMMANDERS, audit: "open_contact", button: "open_contact" },
  /** The 2-month extension (commander's decision) and the procuracy's extension. */
  "tip.extend": { roles: COMMANDERS, audit: "extend", button: "extend", choice: "ext" },
  /** Reopening a closed tip (its outcome is cleared; it goes back to whoever held it). */
  "tip.reopen": { roles: COMMANDERS, audit: "reopen", button: "reopen" },
  // The officers' group commands (`/queue`, `/mine`, `/overdue`, `/tip CODE`, `/stats`).
  "group.queue": { roles: TIP_ROLES, audit: "command.queue" },
  "group.mine": { roles: TIP_ROLES, audit: "command.mine" },
  "group.overdue": { roles: TIP_ROLES, audit: "command.overdue" },
  "group.tip": { roles: TIP_ROLES, audit: "command.tip" },
  "group.stats": { roles: TIP_ROLES, audit: "command.stats" },
  // Legal staff: answer residents' questions and keep the knowledge base.
  "question.answer": { roles: LEGAL, audit: "answer_question" },
  "question.save": { roles: LEGAL, audit: "save_answer", button: "save" },
  "knowledge.import": { roles: LEGAL, audit: "import_knowledge" },
  // Administrators: officers, one-time codes, groups bound to queues.
  "officer.register": { roles: ADMINS, audit: "register_officer" },
  "officer.revoke": { roles: ADMINS, audit: "revoke_officer" },
  "officer.rename": { roles: ADMINS, audit: "rename_officer" },
  "code.create": { roles: ADMINS, audit: "create_code" },
  "queue.bind": { roles: ADMINS, audit: "bind_queue" },
  "queue.unbind": { roles: ADMINS, audit: "unbind_queue" },
  // Outreach staff: content and campaigns (refusals are written `campaign.<what>`).
  "content.add": { roles: OUTREACH, audit: "campaign.content_add" },
  "content.list": { roles: OUTREACH, audit: "campaign.content" },
  "content.edit": { roles: OUTREACH, audit: "campaign.content_edit" },
  /** A content item sent to the staff member's own private chat, as residents would receive it. */
  "content.preview": { roles: OUTREACH, audit: "campaign.preview" },
  "campaign.create": { roles: OUTREACH, audit: "campaign.create" },
  "campaign.list": { roles: OUTREACH, audit: "campaign.campaigns" },
  "campaign.confirm": { roles: OUTREACH, audit: "campaign.confirm", button: "confirm" },
  "campaign.pause": { roles: OUTREACH, audit: "campaign.pause", button: "pause" },
  "campaign.resume": { roles: OUTREACH, audit: "campaign.resume", button: "resume" },
  "campaign.cancel": { roles: OUTREACH, audit: "campaign.cancel", button: "cancel" },
  "campaign.report": { roles: OUTREACH, audit: "campaign.report", button: "report" },
} as const satisfies Record<string, ActionPolicy>;

/** An action's id ("tip.close", "campaign.pause", …). */
export type ActionId = keyof typeof DEFINED;

/** Every action's policy, by id. */
export const ACTIONS: Readonly<Record<ActionId, ActionPolicy>> = DEFINED;

/** Whether a role may take an action (scope aside). */
export const roleAllows = (role: string, action: ActionId): boolean => (ACTIONS[action].roles as readonly string[]).includes(role);

/** The actions of one kind ("tip", "campaign", …), by id. */
export const actionsOf = (prefix: string): ActionId[] => (Object.keys(ACTIONS) as ActionId[]).filter((id) => id.startsWith(`${prefix}.`));
