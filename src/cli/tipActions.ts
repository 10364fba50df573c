import type { Db } from "../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../outbox/outbound.ts";
import type { Sealer } from "../security/sealing.ts";
import type { Translate } from "../i18n.ts";
import { TIP_ACTIONS, cliName, tipAction, type TipAction } from "../core/actions/table.ts";
import type { ActionId } from "../core/actions/catalog.ts";
import { TipStateError, type CommandActor, type RefusalReason, type TipCommandContext } from "../core/tips/commands/context.ts";
import { normaliseTipCode } from "../core/tips/codes.ts";

/** An admin command (the same shape as in admin.ts). */
interface Command {
  usage: string;
  run(db: Db, args: Map<string, string>, positional: string[]): Promise<void>;
}

/** What running a tip action from the CLI needs: how to open sealed references and reach officers' groups and tipsters. */
export interface TipActionDeps {
  sealer: Sealer;
  t: Translate;
  officerRenderer: ReplyRenderer;
  renderers: Partial<Record<string, ReplyRenderer>>;
}

/** The outcome of a tip action at the CLI: done (with the table's answer text, in English), or refused (a refusal of rights is recorded). */
export type TipActionOutcome = { ok: true; refs: OutboxRef[]; answer: string } | { ok: false; reason: RefusalReason };

/** A refused action at the command line (exit status 3; the refusal is in the audit log when it was about rights). */
export class CommandRefused extends Error {}

/**
 * Runs one row of the action table on a tip, by its code, as the CLI's administrator
 * (`as: "admin"`, the actor `{kind: "admin", name: "cli"}`) or as the officer with that Telegram user
 * id (their role and scope are checked as on any other surface; no card is involved). The argument
 * is validated by the row first (bad input changes nothing); the command then authorises the actor,
 * checks the move and records its one event, in one transaction, exactly as a Telegram press does.
 */
export async function runTipAction(db: Db, deps: TipActionDeps, props: { action: ActionId; code: string; as: string; arg?: string }): Promise<TipActionOutcome> {
  const action = tipAction(props.action);
  const code = normaliseTipCode(props.code);
  const tip = code ? await db.tip.findUnique({ where: { code } }) : null;
  if (!tip) return { ok: false, reason: "not_found" };
  const arg = action.arg ? action.arg.parse(props.arg ?? "") : "";
  if (arg === undefined) return { ok: false, reason: "bad_input" };
  let actor: CommandActor;
  let name: string;
  if (props.as === "admin") {
    actor = { kind: "admin", name: "cli" };
    name = "admin";
  } else {
    const officer = await db.officer.findUnique({ where: { telegramUserId: props.as } });
    if (!officer) return { ok: false, reason: "not_officer" };
    actor = { kind: "officer", officerId: officer.id };
    name = officer.displayName ?? officer.id;
  }
  return db.$transaction(async (tx): Promise<TipActionOutcome> => {
    const ctx: TipCommandContext = { tx, actor, detail: cliName(action), sealer: deps.sealer, officerRenderer: deps.officerRenderer, renderers: deps.renderers, now: new Date() };
    try {
      const refs = await action.run(ctx, tip.id, arg);
      const value = action.answer?.valueKey ? { value: deps.t("en", action.answer.valueKey(arg)) } : {};
      const answer = action.answer ? deps.t("en", action.answer.key, { officer: name, code: tip.code, ...value }) : `${cliName(action)} ${tip.code}: done`;
      return { ok: true, refs, answer };
    } catch (err) {
      // The refusal of the actor's rights, if any, is recorded in this transaction: let it commit.
      if (err instanceof TipStateError) return { ok: false, reason: err.reason };
      throw err;
    }
  });
}

/** The usage line of a tip action, from its row. */
function usageOf(action: TipAction): string {
  const arg = action.arg ? ` --${action.arg.flag} ${action.arg.flag === "text" || action.arg.flag === "reason" ? `"…"` : action.arg.describe}` : "";
  return `${cliName(action)} --code TM-XXXXXX${arg} [--as TELEGRAM_USER_ID|admin]   ${action.help}`;
}

/**
 * The `tip:<verb>` commands, one per row of the action table (`npm run admin -- help` lists them):
 * e.g. `tip:close --code TM-XXXXXX --outcome khong_khoi_to --as 123456789`.
 */
export function tipActionCommands(usage: (message: string) => Error, deps: () => TipActionDeps): Record<string, Command> {
  return Object.fromEntries(
    TIP_ACTIONS.map((action): [string, Command] => [
      cliName(action),
      {
        usage: usageOf(action),
        async run(db, args, positional) {
          const code = args.get("code") ?? positional[0];
          if (!code) throw usage("--code is required");
          const raw = action.arg ? args.get(action.arg.flag) : undefined;
          if (action.arg && (raw === undefined || action.arg.parse(raw) === undefined)) throw usage(`--${action.arg.flag} must be ${action.arg.describe}`);
          const as = args.get("as") ?? "admin";
          if (as !== "admin" && !/^\d+$/.test(as)) throw usage('--as must be a Telegram user id or "admin"');
          const done = await runTipAction(db, deps(), { action: action.id, code, as, arg: raw });
          if (done.ok) return console.log(done.answer);
          if (done.reason === "not_found") throw usage(`no tip ${code}`);
          if (done.reason === "not_officer" && as !== "admin") throw usage(`no officer with Telegram user ${as}`);
          throw new CommandRefused(`${cliName(action)} ${code}: refused (${done.reason})`);
        },
      },
    ]),
  );
}
