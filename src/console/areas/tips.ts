import { Readable, pipeline } from "node:stream";
import { stringify } from "csv-stringify";
import type { FastifyReply, FastifyRequest } from "fastify";
import { filterQuery, parseCursor, parseTipFilter, tipWhere, type TipFilter } from "../../core/console/tipFilter.ts";
import { countTips, listTips, mayListTips } from "../../core/console/tipList.ts";
import { EXPORT_COLUMNS, exportBatches, exportNames, recordExport } from "../../core/console/tipExport.ts";
import { findView, listViews } from "../../core/console/savedViews.ts";
import { saveView } from "../../core/console/views/saveView.ts";
import { deleteView } from "../../core/console/views/deleteView.ts";
import type { OfficerRecord } from "../../core/officers/authorize.ts";
import { vnParts } from "../../core/vnTime.ts";
import { layout, notice } from "../pages.ts";
import { badFilterPage, tipListPage, type UnitChoices } from "../tipListPages.ts";
import type { ConsoleArea, ConsoleKit, Session } from "../kit.ts";

/** The query string of a request ("" when none). */
const rawQuery = (req: FastifyRequest): string => {
  const i = req.url.indexOf("?");
  return i < 0 ? "" : req.url.slice(i + 1);
};

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The units a person may pick: the provinces (national scope) or their province's queues. */
async function unitChoices(kit: ConsoleKit, officer: OfficerRecord): Promise<UnitChoices> {
  if (officer.scopeKind === "national") return { provinces: await kit.db.province.findMany({ select: { code: true, name: true }, orderBy: { code: "asc" } }) };
  if (officer.scopeKind === "province") {
    return { queues: await kit.db.queue.findMany({ where: { provinceCode: officer.scopeCode }, select: { id: true, name: true }, orderBy: [{ kind: "desc" }, { name: "asc" }] }) };
  }
  return {};
}

/**
 * The filtered tip list (`/console/tips`), its streamed CSV export (`/console/tips.csv`) and saved
 * views (`/console/views…`): for officers, commanders and administrators within their scope;
 * outreach and legal staff are refused (audited as `console.tips`).
 */
export const tipsArea: ConsoleArea = {
  id: "tips",
  register(scope, kit) {
    const { db, t } = kit;

    const renderList = async (req: FastifyRequest, reply: FastifyReply, session: Session, filter: TipFilter, opts: { message?: { text: string; kind: "status" | "alert" }; code?: number } = {}) => {
      const c = kit.ctxOf(req, reply, session);
      const after = parseCursor(new URLSearchParams(rawQuery(req)).get("after"));
      const now = new Date();
      const where = await tipWhere(db, session.officer, filter, now);
      const [page, count, units, views] = await Promise.all([listTips(db, where, after, now), countTips(db, where), unitChoices(kit, session.officer), listViews(db, session.officer.id)]);
      return kit.html(reply, tipListPage(c, { filter, query: filterQuery(filter), page, count, after, units, views, message: opts.message }), opts.code);
    };

    scope.get("/console/tips", async (req, reply) => {
      const session = await kit.guard(req, reply, "tips", mayListTips);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const parsed = parseTipFilter(rawQuery(req));
      if (!parsed.ok) return kit.html(reply, badFilterPage(c, parsed.problems), 400);
      const q = new URLSearchParams(rawQuery(req));
      const said = q.get("said");
      let message: { text: string; kind: "status" | "alert" } | undefined;
      if (said === "saved") {
        const view = await findView(db, session.officer.id, String(q.get("view") ?? ""));
        if (view) message = { text: t(c.lang, "console_tips:views.saved", { name: view.name }), kind: "status" };
      } else if (said === "deleted") message = { text: t(c.lang, "console_tips:views.deleted"), kind: "status" };
      return renderList(req, reply, session, parsed.filter, { message });
    });

    scope.get("/console/tips.csv", async (req, reply) => {
      const session = await kit.guard(req, reply, "tips", mayListTips);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const parsed = parseTipFilter(rawQuery(req));
      if (!parsed.ok) return kit.html(reply, badFilterPage(c, parsed.problems), 400);
      const officer = session.officer;
      const query = filterQuery(parsed.filter);
      const where = await tipWhere(db, officer, parsed.filter);
      const names = await exportNames(db);
      const log = req.log;
      // One record at a time through the stringifier: the socket's back-pressure pauses the reads.
      async function* records(): AsyncGenerator<string[]> {
        let rows = 0;
        let complete = false;
        try {
          for await (const batch of exportBatches(db, where, names)) {
            for (const record of batch) {
              rows += 1;
              yield record;
            }
          }
          complete = true;
        } finally {
          await db.$transaction((tx) => recordExport(tx, officer, { query, rows, complete })).catch((err: unknown) => log.error({ err }, "console export: audit event not recorded"));
        }
      }
      const header = EXPORT_COLUMNS.map((k) => t(c.lang, `console_tips:csv.${k}`));
      // pipeline (not pipe): a client that hangs up destroys the stringifier, which ends the reads (and records complete: false).
      const csv = pipeline(Readable.from(records()), stringify({ bom: true, header: true, columns: header }), (err) => {
        if (err && err.code !== "ERR_STREAM_PREMATURE_CLOSE") log.error({ err }, "console export failed");
      });
      const p = vnParts(new Date());
      const stamp = `${p.year}${String(p.month).padStart(2, "0")}${String(p.day).padStart(2, "0")}-${String(p.hour).padStart(2, "0")}${String(p.minute).padStart(2, "0")}`;
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="tai-mat-tips-${stamp}.csv"`)
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .send(csv);
    });

    scope.post("/console/views", async (req, reply) => {
      const session = await kit.guard(req, reply, "tips", mayListTips);
      if (!session) return reply;
      if (!kit.checkCsrf(req, session)) return kit.csrfRefused(req, reply, session);
      const c = kit.ctxOf(req, reply, session);
      const form = kit.body(req);
      const query = String(form.query ?? "");
      const parsed = parseTipFilter(query);
      if (!parsed.ok) return kit.html(reply, badFilterPage(c, parsed.problems, t(c.lang, "console_tips:views.bad_query")), 400);
      const saved = await db.$transaction((tx) => saveView(tx, session.officer, { name: String(form.name ?? ""), query }));
      if (!saved.ok) return renderList(req, reply, session, parsed.filter, { message: { text: t(c.lang, `console_tips:views.${saved.reason}`), kind: "alert" }, code: 400 });
      const canonical = filterQuery(parsed.filter);
      return reply.redirect(`/console/tips?${canonical ? `${canonical}&` : ""}said=saved&view=${encodeURIComponent(saved.id)}`, 303);
    });

    scope.get("/console/views/:id", async (req, reply) => {
      const session = await kit.guard(req, reply, "tips", mayListTips);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const id = (req.params as { id: string }).id;
      const view = ID.test(id) ? await findView(db, session.officer.id, id) : undefined;
      if (!view) return kit.html(reply, layout(c, "404", notice(t(c.lang, "console_tips:views.not_found"), "alert")), 404);
      // A saved query is checked again each time it is used (it may predate a change of the filter's rules).
      const parsed = parseTipFilter(view.query);
      if (!parsed.ok) return kit.html(reply, badFilterPage(c, parsed.problems, t(c.lang, "console_tips:views.invalid_now", { name: view.name })), 400);
      const q = filterQuery(parsed.filter);
      return reply.redirect(`/console/tips${q ? `?${q}` : ""}`, 303);
    });

    scope.post("/console/views/:id/delete", async (req, reply) => {
      const session = await kit.guard(req, reply, "tips", mayListTips);
      if (!session) return reply;
      if (!kit.checkCsrf(req, session)) return kit.csrfRefused(req, reply, session);
      const c = kit.ctxOf(req, reply, session);
      const id = (req.params as { id: string }).id;
      const done = ID.test(id) && (await db.$transaction((tx) => deleteView(tx, session.officer, { id })));
      if (!done) return kit.html(reply, layout(c, "404", notice(t(c.lang, "console_tips:views.not_found"), "alert")), 404);
      return reply.redirect("/console/tips?said=deleted", 303);
    });
  },
};
