import crypto from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { App } from "../src/app.ts";
import { LEADER } from "../src/cluster/cluster.ts";
import { recordEvent } from "../src/core/events/recordEvent.ts";
import type { Db } from "../src/db/client.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { PROVIDER } from "./helpers/db.ts";
import { insertTipWithChat } from "./helpers/tipRows.ts";

// The statistics rollups' refresh is a scheduler like the others (App.schedule): it runs on the
// leader only, so with several instances on one PostgreSQL database each pass happens once. It
// also runs at once when an instance becomes the leader: at start (the first build after the
// migration) and when it takes over from a leader that stopped.

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

/** Runs of the rollup job this instance counted (the counter moves only when the job runs). */
async function rollupRuns(app: App): Promise<number> {
  const { values } = await app.metrics.scheduledRuns.get();
  return values.find((v) => v.labels.job === "stats-rollups")?.value ?? 0;
}

/** A tip in Hà Nội's provincial queue, with one event about it (which marks its month for the rollups). */
async function changeATip(t: TestApp, code: string): Promise<void> {
  const tip = await insertTipWithChat(t, { code, queueId: "province:01", platformChatId: String(400_000 + Number(code.slice(-4))), receivedMonth: "2026-11" });
  await t.db.$transaction(async (tx) => recordEvent(tx, { action: "tip.noted", actor: { kind: "system" }, tipId: tip.id }));
}

const dirty = (db: Db) => db.statsDirty.count();
const rollupTips = async (db: Db) => (await db.statsUnit.aggregate({ where: { category: "*", channel: "*" }, _sum: { tips: true } }))._sum.tips ?? 0;

describe("the statistics rollups' job", () => {
  it("runs through the scheduler at start: the first build is done without waiting for the period", async () => {
    const t = await startTestApp({ referenceData: true, env: { STATS_ROLLUP_SECONDS: "3600" } });
    cleanups.push(() => t.close());
    expect(t.app.cluster.has(LEADER)).toBe(true);
    await eventually(async () => (await t.db.statsRollupState.findUnique({ where: { id: 1 } }))?.readyAt, 30_000, "the first build");
    expect(await rollupRuns(t.app)).toBe(1);
  });
});

describe.runIf(PROVIDER === "postgresql")("the statistics rollups with two instances on one PostgreSQL", () => {
  it("only the leader refreshes them; the instance taking over refreshes at once", async () => {
    const sealingKey = crypto.randomBytes(32);
    const cluster = { CLUSTER_LEASE_SECONDS: "3", CLUSTER_HEARTBEAT_SECONDS: "0.5" };
    // A refreshes every second. B's own period is an hour: the only pass it can make in this test
    // is the one it makes on becoming the leader.
    const a = await startTestApp({ referenceData: true, sealingKey, env: { ...cluster, STATS_ROLLUP_SECONDS: "1" } });
    cleanups.push(() => a.close());
    await eventually(async () => (await a.db.statsRollupState.findUnique({ where: { id: 1 } }))?.readyAt, 30_000, "the first build");
    const b = await startTestApp({ databaseUrl: a.databaseUrl, sealingKey, env: { ...cluster, STATS_ROLLUP_SECONDS: "3600" } });
    cleanups.push(() => b.stopOnly());
    expect(a.app.cluster.has(LEADER) && !b.app.cluster.has(LEADER)).toBe(true);

    // While A leads: tip changes are rolled up by A's passes; B, not the leader, made none (not
    // even at its start).
    await changeATip(a, "TM-LEAD0001");
    const runsBefore = await rollupRuns(a.app);
    await eventually(async () => (await dirty(a.db)) === 0 && (await rollupRuns(a.app)) >= runsBefore + 3, 30_000, "three more passes by the leader");
    expect(await rollupTips(a.db)).toBe(1);
    expect(await rollupRuns(b.app)).toBe(0);

    // A stops. So that a tip changes after A's last pass and before B takes over (B, whose heartbeat
    // is half a second, would otherwise take the role as soon as A gives it up and could make its one
    // pass before the change), the leader's lease is held meanwhile by a holder that is no instance.
    const hold = "test-hold|no-instance";
    await a.db.$executeRawUnsafe(`UPDATE "Lease" SET "holder" = $1, "expiresAt" = $2 WHERE "name" = $3`, hold, new Date(Date.now() + 600_000), LEADER);
    await a.stopOnly();
    await changeATip(b, "TM-LEAD0002");
    expect(await dirty(b.db)).toBeGreaterThan(0);
    expect(b.app.cluster.has(LEADER)).toBe(false);
    // The lease is free: B takes the leader's role at its next heartbeat and refreshes at once.
    await b.db.$executeRawUnsafe(`DELETE FROM "Lease" WHERE "name" = $1 AND "holder" = $2`, LEADER, hold);
    await eventually(() => b.app.cluster.has(LEADER), 15_000, "B the leader");
    await eventually(async () => (await dirty(b.db)) === 0, 30_000, "the change rolled up by B");
    expect(await rollupTips(b.db)).toBe(2);
    expect(await rollupRuns(b.app)).toBe(1);
  }, 120_000);
});
