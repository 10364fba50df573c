import crypto from "node:crypto";
import { QUEUE_GROUPS, checkQueueFilter, consoleQueue, mayViewQueue, queueChoices } from "../../core/console/queueView.ts";
import type { ActionId } from "../../core/actions/catalog.ts";
import { esc, layout, notice, queueGroups, queuePage } from "../pages.ts";
import type { ConsoleArea } from "../kit.ts";

const ACTIONS: Record<string, ActionId> = { claim: "tip.claim", close: "tip.close" };

/**
 * The live queue (`/console/queue`, refreshed from `/console/api/queue`), narrowed to one unit
 * (`queue=<queue id>`) or one officer (`claimedBy=<officer id>`: "mine", or a commander's pick),
 * and the queue's claim and close buttons.
 */
export const queueArea: ConsoleArea = {
  id: "queue",
  register(scope, kit) {
    const { db, t } = kit;
    scope.get("/console/queue", async (req, reply) => {
      const session = await kit.guard(req, reply, "queue", mayViewQueue);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const said = (req.query as { done?: string; refused?: string; queue?: unknown; claimedBy?: unknown }) ?? {};
      const checked = await checkQueueFilter(db, session.officer, said);
      if (!checked.ok) {
        const text = t(c.lang, "console:queue.bad_filter", { param: checked.param });
        return kit.html(reply, layout(c, t(c.lang, "console:queue.heading"), `<h1>${esc(t(c.lang, "console:queue.heading"))}</h1>${notice(text, "alert")}<p><a href="/console/queue">${esc(t(c.lang, "console:queue.everything"))}</a></p>`), 400);
      }
      // Only a tip code is echoed: a link cannot make the page say other words as if the service said them.
      const message = typeof said.done === "string" && /^TM-[A-Z0-9]{6}$/.test(said.done)
        ? { text: t(c.lang, "console:queue.done", { code: said.done }), kind: "status" as const }
        : said.refused && /^[a-z_]{1,30}$/.test(said.refused)
          ? { text: t(c.lang, `officer:refuse.${said.refused}`, { text: "" }), kind: "alert" as const }
          : undefined;
      const [queue, choices] = await Promise.all([consoleQueue(db, session.officer, new Date(), checked.filter), queueChoices(db, session.officer)]);
      return kit.html(reply, queuePage(c, queue, message, { filter: checked.filter, ...choices }));
    });

    scope.get("/console/api/queue", async (req, reply) => {
      const session = await kit.guard(req, reply, "queue", mayViewQueue, "json");
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const checked = await checkQueueFilter(db, session.officer, (req.query as Record<string, unknown>) ?? {});
      if (!checked.ok) return reply.code(400).header("cache-control", "no-store").send({ error: "bad_filter", param: checked.param, message: t(c.lang, "console:queue.bad_filter", { param: checked.param }) });
      const queue = await consoleQueue(db, session.officer, new Date(), checked.filter);
      const groups = queueGroups(c, queue);
      const counts = Object.fromEntries(QUEUE_GROUPS.map((g) => [g, queue[g].length]));
      return reply.header("cache-control", "no-store").send({ version: crypto.createHash("sha256").update(groups).digest("base64url").slice(0, 16), counts, html: groups });
    });

    scope.post("/console/tips/:id/:verb", async (req, reply) => {
      const { id, verb } = req.params as { id: string; verb: string };
      const actionId = Object.hasOwn(ACTIONS, verb) ? ACTIONS[verb] : undefined;
      if (!actionId || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return reply.code(404).send();
      const session = await kit.guard(req, reply, "queue", mayViewQueue);
      if (!session) return reply;
      if (!kit.checkCsrf(req, session)) return kit.csrfRefused(req, reply, session);
      const outcome = await kit.runTipAction(session, id, actionId, kit.body(req));
      if (!outcome.ok) return reply.redirect(`/console/queue?refused=${outcome.reason}`, 303);
      return reply.redirect(`/console/queue?done=${encodeURIComponent(outcome.code)}`, 303);
    });
  },
};
