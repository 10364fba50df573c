import type { FastifyReply, FastifyRequest } from "fastify";
import { mayViewQueue } from "../../core/console/queueView.ts";
import { TIP_ID, loadTipView, refuseTipView, tipAttachment } from "../../core/console/tipView.ts";
import { sniffMediaType } from "../../core/console/mediaType.ts";
import { recordMediaView } from "../../core/tips/mediaViewed.ts";
import { MediaUnavailable } from "../../channels/contract.ts";
import { readAll } from "../../channels/mediaFetch.ts";
import type { ConsoleArea, ConsoleKit, Session } from "../kit.ts";
import { TIP_VERBS, tipErrorPage, tipPage, type TipMessage, type TransferTarget } from "../tipPages.ts";

/**
 * The tip page (`/console/tips/:id/view`), its files streamed through the service
 * (`/console/tips/:id/media/:attachmentId`) and its action forms (`/console/tips/:id/do/:verb`),
 * each running the action table's command as the Telegram card's button does.
 */
export const tipArea: ConsoleArea = {
  id: "tip",
  register(scope, kit) {
    const { db, t } = kit;
    const fail = (req: FastifyRequest, reply: FastifyReply, session: Session | undefined, key: string, code: number) =>
      kit.html(reply, tipErrorPage(kit.ctxOf(req, reply, session), key), code);

    /** Units a tip may be moved to, offered in the transfer form: its province's queues and the national one. */
    const targets = async (provinceCode: string): Promise<TransferTarget[]> =>
      db.queue.findMany({
        where: { OR: [{ provinceCode, kind: { in: ["commune", "province"] } }, { kind: "national" }] },
        select: { id: true, name: true },
        orderBy: [{ kind: "desc" }, { name: "asc" }],
        take: 400,
      });

    /** The tip page for a session, or the refusal / not-found answer. */
    const show = async (req: FastifyRequest, reply: FastifyReply, session: Session, id: string, message?: TipMessage, code = 200) => {
      const c = kit.ctxOf(req, reply, session);
      const found = await loadTipView(db, session.officer, id);
      if (!found.ok && found.reason === "scope") {
        await db.$transaction((tx) => refuseTipView(tx, session.officer, id));
        return kit.html(reply, tipErrorPage(c, "officer:refuse.scope"), 403);
      }
      if (!found.ok) return fail(req, reply, session, "console_tip:not_found", 404);
      const tip = await db.tip.findUnique({ where: { id }, select: { provinceCode: true } });
      const list = found.view.actions.includes("tip.transfer") ? await targets(tip!.provinceCode) : [];
      return kit.html(reply, tipPage(c, found.view, { message, targets: list }), code);
    };

    scope.get("/console/tips/:id/view", async (req, reply) => {
      const session = await kit.guard(req, reply, "tip", mayViewQueue);
      if (!session) return reply;
      const { id } = req.params as { id: string };
      if (!TIP_ID.test(id)) return fail(req, reply, session, "console_tip:bad_address", 400);
      const c = kit.ctxOf(req, reply, session);
      const q = (req.query as { done?: string; refused?: string }) ?? {};
      const message: TipMessage | undefined =
        q.done && Object.hasOwn(TIP_VERBS, q.done)
          ? { text: t(c.lang, "console_tip:done", { action: t(c.lang, `console_tip:action.${q.done}`) }), kind: "status" }
          : q.refused && /^[a-z_]{1,30}$/.test(q.refused)
            ? { text: t(c.lang, `officer:refuse.${q.refused}`, { text: "" }), kind: "alert" }
            : undefined;
      return show(req, reply, session, id, message);
    });

    scope.get("/console/tips/:id/media/:attachmentId", async (req, reply) => {
      const session = await kit.guard(req, reply, "tip", mayViewQueue);
      if (!session) return reply;
      const { id, attachmentId } = req.params as { id: string; attachmentId: string };
      if (!TIP_ID.test(id) || !/^\d{1,12}$/.test(attachmentId)) return fail(req, reply, session, "console_tip:bad_address", 400);
      const file = await tipAttachment(db, session.officer, id, Number(attachmentId));
      if (!file.ok && file.reason === "scope") {
        await db.$transaction((tx) => refuseTipView(tx, session.officer, id));
        return fail(req, reply, session, "officer:refuse.scope", 403);
      }
      if (!file.ok) return fail(req, reply, session, "console_tip:media_missing", 404);
      // The whole file is read (its channel caps size and time) before anything is answered, so a
      // refused, oversized or stalled file is a translated page, never a broken one.
      let bytes: Buffer | null;
      try {
        const opened = await kit.opts.media?.(file.ref);
        bytes = opened ? await readAll(opened.stream) : null;
      } catch (err) {
        // The channel's error names neither the platform's URL nor its token.
        if (err instanceof MediaUnavailable) {
          req.log.warn({ reason: err.reason, attachmentId: Number(attachmentId) }, "console: a tip's file was refused (not on the platform's file hosts, private address, too big or too slow)");
          return fail(req, reply, session, "console_tip:media_unavailable", 502);
        }
        req.log.warn({ err, attachmentId: Number(attachmentId) }, "console: a tip's file could not be fetched from its channel");
        return fail(req, reply, session, "console_tip:media_unreachable", 502);
      }
      if (!bytes) return fail(req, reply, session, "console_tip:media_missing", 404);
      await db.$transaction((tx) => recordMediaView(tx, { officerId: session.officer.id, tipId: id, attachmentId: Number(attachmentId), kind: file.kind, via: "console" }));
      const type = sniffMediaType(bytes.subarray(0, 16));
      const name = `${id.slice(-8)}-${attachmentId}.${type.ext}`;
      return reply
        .code(200)
        .header("content-type", type.type)
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "default-src 'none'; sandbox")
        .header("content-disposition", `${type.inline ? "inline" : "attachment"}; filename="${name}"`)
        .send(bytes);
    });

    scope.post("/console/tips/:id/do/:verb", async (req, reply) => {
      const session = await kit.guard(req, reply, "tip", mayViewQueue);
      if (!session) return reply;
      const { id, verb } = req.params as { id: string; verb: string };
      const actionId = Object.hasOwn(TIP_VERBS, verb) ? TIP_VERBS[verb] : undefined;
      if (!TIP_ID.test(id)) return fail(req, reply, session, "console_tip:bad_address", 400);
      if (!actionId) return fail(req, reply, session, "console_tip:unknown_action", 404);
      if (!kit.checkCsrf(req, session)) return kit.csrfRefused(req, reply, session);
      const outcome = await kit.runTipAction(session, id, actionId, kit.body(req));
      if (!outcome.ok) {
        if (outcome.reason === "not_found") return fail(req, reply, session, "console_tip:not_found", 404);
        return reply.redirect(`/console/tips/${encodeURIComponent(id)}/view?refused=${outcome.reason}`, 303);
      }
      if (actionId === "tip.open_contact") return showContact(kit, req, reply, session, id, show);
      return reply.redirect(`/console/tips/${encodeURIComponent(id)}/view?done=${verb}`, 303);
    });
  },
};

/**
 * The answer to an opened contact: the tip page with the tipster's name and phone in its notice,
 * in this response only (not stored, not logged, not cached). The opening itself was recorded by
 * the command (`tip.contact_opened`, with the reason, never the contact).
 */
async function showContact(
  kit: ConsoleKit,
  req: FastifyRequest,
  reply: FastifyReply,
  session: Session,
  id: string,
  show: (req: FastifyRequest, reply: FastifyReply, session: Session, id: string, message?: TipMessage) => Promise<FastifyReply>,
) {
  const c = kit.ctxOf(req, reply, session);
  const tip = await kit.db.tip.findUnique({ where: { id }, select: { code: true, contactSealed: true } });
  if (!tip?.contactSealed) return show(req, reply, session, id, { text: kit.t(c.lang, "officer:refuse.state"), kind: "alert" });
  const contact = JSON.parse(kit.opts.sealer.open(tip.contactSealed, "tip-contact")) as { name: string; phone: string };
  return show(req, reply, session, id, { text: kit.t(c.lang, "officer:done.contact", { code: tip.code, name: contact.name, phone: contact.phone }), kind: "status" });
}
