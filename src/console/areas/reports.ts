import { mayViewReports, openReport, reportMonths, reportsOfMonth } from "../../core/console/reports.ts";
import { isReportMonth } from "../../core/reports/monthly.ts";
import { storedReportChart } from "../../core/reports/monthlyContent.ts";
import { esc, layout } from "../pages.ts";
import { reportCsv, reportCsvName, reportPage, reportsListPage } from "../reportsPages.ts";
import type { ConsoleArea, Session } from "../kit.ts";
import type { FastifyReply, FastifyRequest } from "fastify";

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The monthly reports (`/console/reports`, one month at a time; `/console/reports/:id` with its
 * chart at `/console/reports/:id/chart.png`; `/console/reports/:id.csv`). Officers, commanders and
 * administrators, each within their scope; others refused and audited (`console.reports`).
 */
export const reportsArea: ConsoleArea = {
  id: "reports",
  register(scope, kit) {
    const { db, t } = kit;
    const answer = (req: FastifyRequest, reply: FastifyReply, code: 400 | 403 | 404, key: string, session?: Session) => {
      const c = kit.ctxOf(req, reply, session);
      return kit.html(reply, layout(c, t(c.lang, key), `<h1>${esc(t(c.lang, key))}</h1><p><a href="/console/reports">${esc(t(c.lang, "console_reports:list.heading"))}</a></p>`), code);
    };

    scope.get("/console/reports", async (req, reply) => {
      const session = await kit.guard(req, reply, "reports", mayViewReports);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const q = (req.query ?? {}) as { month?: string; page?: string };
      if ((q.month !== undefined && !isReportMonth(q.month)) || (q.page !== undefined && !/^\d{1,4}$/.test(q.page))) return answer(req, reply, 400, "console_reports:bad_query", session);
      const months = await reportMonths(db, session.officer);
      const month = q.month ?? months[0];
      const page = Number(q.page ?? 0);
      const { rows, more } = month ? await reportsOfMonth(db, session.officer, month, page) : { rows: [], more: false };
      return kit.html(reply, reportsListPage(c, { months, month, rows, page, more }));
    });

    /** The report of a request's id, in the person's scope; otherwise answered (400, 403 audited, 404). */
    const load = async (req: FastifyRequest, reply: FastifyReply, id: string, kind: "page" | "json") => {
      const session = await kit.guard(req, reply, "reports", mayViewReports, kind);
      if (!session) return undefined;
      if (!ID.test(id)) {
        await answer(req, reply, 404, "console_reports:not_found", session);
        return undefined;
      }
      const found = await openReport(db, session.officer, id);
      if (!found.ok) {
        await answer(req, reply, found.reason === "scope" ? 403 : 404, found.reason === "scope" ? "console_reports:outside_scope" : "console_reports:not_found", session);
        return undefined;
      }
      return { session, report: found.report };
    };

    scope.get("/console/reports/:id", async (req, reply) => {
      const raw = (req.params as { id: string }).id;
      const csv = raw.endsWith(".csv");
      const got = await load(req, reply, csv ? raw.slice(0, -4) : raw, "page");
      if (!got) return reply;
      const c = kit.ctxOf(req, reply, got.session);
      if (!csv) return kit.html(reply, reportPage(c, got.report));
      return reply
        .type("text/csv; charset=utf-8")
        .header("cache-control", "no-store")
        .header("content-disposition", `attachment; filename="${reportCsvName(got.report)}"`)
        .send(reportCsv(c, got.report));
    });

    scope.get("/console/reports/:id/chart.png", async (req, reply) => {
      if (!kit.admitHeavy(req, reply)) return reply;
      const got = await load(req, reply, (req.params as { id: string }).id, "json");
      if (!got) return reply;
      const c = kit.ctxOf(req, reply, got.session);
      const { png } = storedReportChart(got.report.id, got.report.summary, c.lang, t);
      return reply.type("image/png").header("cache-control", "no-store").send(png);
    });
  },
};
