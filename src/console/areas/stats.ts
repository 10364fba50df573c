import { Readable } from "node:stream";
import { mayViewStats, parseStatsFilter, defaultPeriod, recordStatsExport, statsCsvRows, STATS_CSV_COLUMNS, type StatsFilter } from "../../core/console/stats.ts";
import { statsFor } from "../../core/console/statsRollup.ts";
import { statsBadRequest, statsPage } from "../statsPages.ts";
import type { ConsoleArea } from "../kit.ts";
import { csvField } from "../../core/console/csv.ts";


/**
 * Statistics with drill-down (`/console/stats`: from the rollups for a province or the whole
 * country, live otherwise) and their aggregate CSV (`/console/stats.csv`, small counts shown as
 * "<3"): officers, commanders and administrators, in their scope.
 */
export const statsArea: ConsoleArea = {
  id: "stats",
  register(scope, kit) {
    const { db } = kit;
    const provinceList = () => db.province.findMany({ select: { code: true, name: true }, orderBy: { code: "asc" } });

    scope.get("/console/stats", async (req, reply) => {
      if (!kit.admitHeavy(req, reply)) return reply;
      const session = await kit.guard(req, reply, "stats", mayViewStats);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const now = new Date();
      const parsed = parseStatsFilter((req.query as Record<string, unknown>) ?? {}, now);
      if (!parsed.ok) {
        const fallback: StatsFilter = { ...defaultPeriod(now), cpage: 1, upage: 1 };
        return kit.html(reply, statsBadRequest(c, parsed.field, fallback, await provinceList()), 400);
      }
      const [stats, provinces] = await Promise.all([statsFor(db, session.officer, parsed.filter, now), provinceList()]);
      return kit.html(reply, statsPage(c, stats, provinces));
    });

    scope.get("/console/stats.csv", async (req, reply) => {
      if (!kit.admitHeavy(req, reply)) return reply;
      const session = await kit.guard(req, reply, "stats", mayViewStats);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const now = new Date();
      const parsed = parseStatsFilter((req.query as Record<string, unknown>) ?? {}, now);
      if (!parsed.ok) return kit.html(reply, statsBadRequest(c, parsed.field, { ...defaultPeriod(now), cpage: 1, upage: 1 }, await provinceList()), 400);
      const filter = parsed.filter;
      await db.$transaction((tx) => recordStatsExport(tx, session.officer, filter));
      async function* lines() {
        yield "\ufeff" + STATS_CSV_COLUMNS.join(",") + "\r\n";
        for await (const row of statsCsvRows(db, session!.officer, filter, now)) yield STATS_CSV_COLUMNS.map((k) => csvField(row[k])).join(",") + "\r\n";
      }
      return reply
        .type("text/csv; charset=utf-8")
        .header("cache-control", "no-store")
        .header("content-disposition", `attachment; filename="taimat-stats-${filter.from}-${filter.to}.csv"`)
        .send(Readable.from(lines()));
    });
  },
};
