import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, Tx } from "../src/db/client.ts";
import { actorKey, type Actor } from "../src/core/events/recordEvent.ts";
import { CampaignError } from "../src/core/campaigns/campaignError.ts";
import { addContent } from "../src/core/campaigns/commands/addContent.ts";
import { allowed } from "../src/core/campaigns/commands/authorizeStaff.ts";
import { cancelCampaign } from "../src/core/campaigns/commands/cancelCampaign.ts";
import { confirmCampaign } from "../src/core/campaigns/commands/confirmCampaign.ts";
import { createCampaign } from "../src/core/campaigns/commands/createCampaign.ts";
import { finishRun } from "../src/core/campaigns/commands/finishRun.ts";
import { pauseCampaign } from "../src/core/campaigns/commands/pauseCampaign.ts";
import { resumeCampaign } from "../src/core/campaigns/commands/resumeCampaign.ts";
import { startRun } from "../src/core/campaigns/commands/startRun.ts";
import { NO_QUIET_HOURS } from "../src/core/campaigns/schedule.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

/**
 * Every campaign and content command called directly against the database: an allowed actor changes
 * the state and leaves exactly one event; a refused one (wrong role, revoked, outside their area, a
 * person asking for a scheduled step, the system asking for a staff action) changes nothing and
 * leaves exactly one `auth.refused` event naming what was tried and why.
 */
let tdb: TestDatabase;
let db: Db;
const A: Record<string, Actor> = {};
let contentId: string;

const CONTENT = { title: "Cảnh giác lừa đảo", bodies: { vi: "Công an không gọi điện yêu cầu chuyển tiền." }, source: { law: "Bộ luật Hình sự 2015", article: "Điều 174" }, topics: ["fraud"] };
const CLI: Actor = { kind: "admin", name: "cli-test" };
const SYSTEM: Actor = { kind: "system" };

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  for (const [code, name] of [["01", "Hà Nội"], ["79", "TP Hồ Chí Minh"]]) {
    await db.province.create({ data: { code: code!, name: name!, shortName: name!, type: "tỉnh", nameEn: name! } });
  }
  await db.commune.create({ data: { code: "00004", name: "Ba Đình", shortName: "Ba Đình", type: "phường", provinceCode: "01", nameEn: "Ba Dinh", lat: 21, lng: 105 } });
  await db.commune.create({ data: { code: "26734", name: "Sài Gòn", shortName: "Sài Gòn", type: "phường", provinceCode: "79", nameEn: "Sai Gon", lat: 10, lng: 106 } });
  const officer = async (label: string, role: string, scopeKind: string, scopeCode: string, revoked = false) => {
    const o = await db.officer.create({ data: { telegramUserId: `tg-${label}`, role, scopeKind, scopeCode, displayName: label, revokedAt: revoked ? new Date() : null } });
    A[label] = { kind: "officer", officerId: o.id };
  };
  await officer("outreach", "outreach", "national", "VN");
  await officer("outreach01", "outreach", "province", "01");
  await officer("outreachBaDinh", "outreach", "commune", "00004");
  await officer("adminOfficer", "admin", "national", "VN");
  await officer("officer", "officer", "commune", "00004");
  await officer("commander", "commander", "national", "VN");
  await officer("legal", "legal", "national", "VN");
  await officer("revoked", "outreach", "national", "VN", true);
  A.cli = CLI;
  A.system = SYSTEM;
  A.resident = { kind: "resident" };
  A.public = { kind: "public" };
  A.ghost = { kind: "officer", officerId: "no-such-officer" };
  contentId = allowed(await db.$transaction((tx) => addContent(tx, { actor: CLI, input: CONTENT }))).content.id;
});
afterAll(() => tdb.drop());

/** Everything the campaign commands can change, as one comparable value. */
async function state(): Promise<string> {
  const [contents, campaigns, runs, deliveries] = await Promise.all([
    db.content.findMany({ orderBy: { id: "asc" } }),
    db.campaign.findMany({ orderBy: { id: "asc" } }),
    db.campaignRun.findMany({ orderBy: { id: "asc" } }),
    db.delivery.findMany({ orderBy: { id: "asc" } }),
  ]);
  return JSON.stringify({ contents, campaigns, runs, deliveries });
}

/** Runs a command in its own transaction; returns its result (or error), whether anything changed, and the events it left. */
async function attempt<T>(command: (tx: Tx) => Promise<T>) {
  const before = await state();
  const lastId = (await db.auditEvent.findFirst({ orderBy: { id: "desc" } }))?.id ?? 0;
  let result: T | undefined;
  let error: unknown;
  try {
    result = await db.$transaction(command);
  } catch (err) {
    error = err;
  }
  const events = (await db.auditEvent.findMany({ where: { id: { gt: lastId } }, orderBy: { id: "asc" } })).map((e) => ({ ...e, data: JSON.parse(e.data) as Record<string, unknown> }));
  return { result, error, changed: (await state()) !== before, events };
}

/** A campaign in the given state, made by the CLI's administrator (audience nationwide unless given). */
async function campaignIn(status: "draft" | "scheduled" | "paused", audience: unknown = {}) {
  const { campaign } = allowed(await db.$transaction((tx) => createCampaign(tx, { actor: CLI, contentId, audience, schedule: "ngay" })));
  if (status !== "draft") allowed(await db.$transaction((tx) => confirmCampaign(tx, { actor: CLI, campaignId: campaign.id, quiet: NO_QUIET_HOURS })));
  if (status === "paused") allowed(await db.$transaction((tx) => pauseCampaign(tx, { actor: CLI, campaignId: campaign.id })));
  return campaign.id;
}

function expectRefused(r: Awaited<ReturnType<typeof attempt>>, actor: Actor, action: string, reason: string) {
  expect(r.error).toBeUndefined();
  expect(r.result).toEqual({ ok: false, reason });
  expect(r.changed).toBe(false);
  expect(r.events).toHaveLength(1);
  expect(r.events[0]).toMatchObject({ action: "auth.refused", actor: actorKey(actor), data: { action: `campaign.${action}`, reason } });
}

/** Staff actors refused on role grounds (or as not being staff at all), with the reason each gets. */
const REFUSED_STAFF: Array<[string, string]> = [
  ["officer", "role"],
  ["commander", "role"],
  ["legal", "role"],
  ["revoked", "revoked"],
  ["ghost", "not_officer"],
  ["system", "role"],
  ["resident", "role"],
  ["public", "role"],
];

describe("content: adding to the library", () => {
  it.each(["outreach", "outreach01", "adminOfficer", "cli"])("%s adds content: one content.added event", async (who) => {
    const r = await attempt((tx) => addContent(tx, { actor: A[who]!, input: { ...CONTENT, title: `Bài của ${who}` } }));
    expect(r.error).toBeUndefined();
    expect(r.changed).toBe(true);
    const content = allowed(r.result!).content;
    expect(content.createdBy).toBe(actorKey(A[who]!));
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ action: "content.added", actor: actorKey(A[who]!), data: { contentId: content.id } });
  });

  it.each(REFUSED_STAFF)("%s is refused (%s): nothing added, one refusal", async (who, reason) => {
    const r = await attempt((tx) => addContent(tx, { actor: A[who]!, input: { ...CONTENT, title: `Bài của ${who}` } }));
    expectRefused(r, A[who]!, "content_add", reason);
  });

  it("content without a legal source is rejected: nothing added, no event", async () => {
    const r = await attempt((tx) => addContent(tx, { actor: A.outreach!, input: { ...CONTENT, source: undefined } }));
    expect(r.error).toBeDefined();
    expect(r.changed).toBe(false);
    expect(r.events).toEqual([]);
  });
});

describe("campaigns: creating a draft", () => {
  const allowedCases: Array<[string, unknown]> = [
    ["outreach", {}],
    ["adminOfficer", { topics: ["fraud"] }],
    ["cli", {}],
    ["outreach01", { provinces: ["01"] }],
    ["outreach01", { communes: ["00004"] }],
    ["outreachBaDinh", { communes: ["00004"] }],
  ];
  it.each(allowedCases)("%s creates a campaign for %j: a draft and one campaign.created event", async (who, audience) => {
    const r = await attempt((tx) => createCampaign(tx, { actor: A[who]!, contentId, audience, schedule: "ngay" }));
    expect(r.error).toBeUndefined();
    const campaign = allowed(r.result!).campaign;
    expect(campaign).toMatchObject({ status: "draft", createdBy: actorKey(A[who]!) });
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ action: "campaign.created", actor: actorKey(A[who]!), data: { campaignId: campaign.id, audience } });
  });

  it.each(REFUSED_STAFF)("%s is refused (%s): no campaign, one refusal", async (who, reason) => {
    const r = await attempt((tx) => createCampaign(tx, { actor: A[who]!, contentId, audience: {}, schedule: "ngay" }));
    expectRefused(r, A[who]!, "create", reason);
  });

  const outOfArea: Array<[string, unknown]> = [
    ["outreach01", {}],
    ["outreach01", { provinces: ["79"] }],
    ["outreach01", { provinces: ["01", "79"] }],
    ["outreach01", { communes: ["26734"] }],
    ["outreach01", { communes: ["99999"] }],
    ["outreachBaDinh", { provinces: ["01"] }],
    ["outreachBaDinh", { communes: ["00004", "26734"] }],
  ];
  it.each(outOfArea)("%s targeting %j is outside their area: no campaign, one refusal", async (who, audience) => {
    const r = await attempt((tx) => createCampaign(tx, { actor: A[who]!, contentId, audience, schedule: "ngay" }));
    expectRefused(r, A[who]!, "create", "scope");
  });

  it("a bad schedule or audience, or unknown content, is an error: nothing created, no event", async () => {
    for (const props of [
      { contentId, audience: {}, schedule: "khi nào rảnh" },
      { contentId, audience: { provinces: ["Hà Nội"] }, schedule: "ngay" },
      { contentId: "no-such-content", audience: {}, schedule: "ngay" },
    ]) {
      const r = await attempt((tx) => createCampaign(tx, { actor: A.outreach!, ...props }));
      expect(r.error).toBeInstanceOf(CampaignError);
      expect(r.changed).toBe(false);
      expect(r.events).toEqual([]);
    }
  });
});

/** The staff commands on an existing campaign: each from the state it needs, to the state it leads to. */
const STEPS = [
  { action: "confirm", from: "draft", to: "scheduled", event: "campaign.confirmed", run: (tx: Tx, actor: Actor, campaignId: string) => confirmCampaign(tx, { actor, campaignId, quiet: NO_QUIET_HOURS }) },
  { action: "pause", from: "scheduled", to: "paused", event: "campaign.paused", run: (tx: Tx, actor: Actor, campaignId: string) => pauseCampaign(tx, { actor, campaignId }) },
  { action: "resume", from: "paused", to: "scheduled", event: "campaign.resumed", run: (tx: Tx, actor: Actor, campaignId: string) => resumeCampaign(tx, { actor, campaignId }) },
  { action: "cancel", from: "scheduled", to: "cancelled", event: "campaign.cancelled", run: (tx: Tx, actor: Actor, campaignId: string) => cancelCampaign(tx, { actor, campaignId }) },
] as const;

describe.each(STEPS)("campaigns: $action ($from → $to)", (step) => {
  it.each([
    ["outreach", {}],
    ["adminOfficer", {}],
    ["cli", {}],
    ["outreach01", { provinces: ["01"] }],
  ])("%s on a campaign for %j: the state moves and one event is recorded", async (who, audience) => {
    const id = await campaignIn(step.from, audience);
    const r = await attempt((tx) => step.run(tx, A[who]!, id));
    expect(r.error).toBeUndefined();
    expect(r.result).toMatchObject({ ok: true, campaign: { id, status: step.to } });
    expect((await db.campaign.findUniqueOrThrow({ where: { id } })).status).toBe(step.to);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ action: step.event, actor: actorKey(A[who]!), data: { campaignId: id } });
  });

  it.each(REFUSED_STAFF)("%s is refused (%s): the campaign is unchanged, one refusal naming it", async (who, reason) => {
    const id = await campaignIn(step.from);
    const r = await attempt((tx) => step.run(tx, A[who]!, id));
    expectRefused(r, A[who]!, step.action, reason);
    expect(r.events[0]!.data.campaignId).toBe(id);
  });

  it.each([
    ["outreach01", {}],
    ["outreach01", { provinces: ["79"] }],
    ["outreachBaDinh", { provinces: ["01"] }],
  ])("%s on a campaign for %j (outside their area) is refused: unchanged, one refusal", async (who, audience) => {
    const id = await campaignIn(step.from, audience);
    const r = await attempt((tx) => step.run(tx, A[who]!, id));
    expectRefused(r, A[who]!, step.action, "scope");
  });
});

describe("campaigns: a command its state does not allow", () => {
  it("confirming a scheduled campaign, resuming a scheduled one, pausing a draft: a state error, nothing changed, no event", async () => {
    const scheduled = await campaignIn("scheduled");
    const draft = await campaignIn("draft");
    for (const run of [
      (tx: Tx) => confirmCampaign(tx, { actor: A.outreach!, campaignId: scheduled, quiet: NO_QUIET_HOURS }),
      (tx: Tx) => resumeCampaign(tx, { actor: A.outreach!, campaignId: scheduled }),
      (tx: Tx) => pauseCampaign(tx, { actor: A.outreach!, campaignId: draft }),
    ]) {
      const r = await attempt(run);
      expect(r.error).toMatchObject({ reason: "state" });
      expect(r.changed).toBe(false);
      expect(r.events).toEqual([]);
    }
  });
});

describe("campaigns: the scheduled steps (system only)", () => {
  it("the system starts a due run and finishes it when nothing is left open: one event each", async () => {
    const id = await campaignIn("scheduled");
    const now = new Date();
    const started = await attempt((tx) => startRun(tx, { actor: SYSTEM, campaignId: id, now }));
    const run = allowed(started.result!).run!;
    expect(run).toMatchObject({ campaignId: id, status: "materializing" });
    expect((await db.campaign.findUniqueOrThrow({ where: { id } })).status).toBe("running");
    expect(started.events).toHaveLength(1);
    expect(started.events[0]).toMatchObject({ action: "campaign.run_started", actor: "system", data: { campaignId: id } });

    // Started once: a second start (another instance) changes nothing and records nothing.
    const again = await attempt((tx) => startRun(tx, { actor: SYSTEM, campaignId: id, now }));
    expect(again.result).toEqual({ ok: true, run: null });
    expect(again.changed).toBe(false);
    expect(again.events).toEqual([]);

    await db.campaignRun.update({ where: { id: run.id }, data: { status: "sending" } });
    const finished = await attempt((tx) => finishRun(tx, { actor: SYSTEM, runId: run.id, now }));
    expect(allowed(finished.result!).run).toMatchObject({ id: run.id, status: "done" });
    expect((await db.campaign.findUniqueOrThrow({ where: { id } })).status).toBe("done");
    expect(finished.events).toHaveLength(1);
    expect(finished.events[0]).toMatchObject({ action: "campaign.run_finished", actor: "system", data: { campaignId: id, runId: run.id } });
  });

  it("a run with deliveries still pending is not finished: nothing changed, no event", async () => {
    const id = await campaignIn("scheduled");
    const run = allowed(await db.$transaction((tx) => startRun(tx, { actor: SYSTEM, campaignId: id, now: new Date() }))).run!;
    await db.campaignRun.update({ where: { id: run.id }, data: { status: "sending" } });
    await db.delivery.create({ data: { runId: run.id, chatId: "chat-x", status: "pending" } });
    const r = await attempt((tx) => finishRun(tx, { actor: SYSTEM, runId: run.id, now: new Date() }));
    expect(r.result).toEqual({ ok: true, run: null });
    expect(r.changed).toBe(false);
    expect(r.events).toEqual([]);
  });

  it.each(["outreach", "adminOfficer", "cli", "officer", "resident"])("%s cannot start or finish a run: unchanged, one refusal each", async (who) => {
    const id = await campaignIn("scheduled");
    const start = await attempt((tx) => startRun(tx, { actor: A[who]!, campaignId: id, now: new Date() }));
    expectRefused(start, A[who]!, "run_started", "role");
    expect((await db.campaign.findUniqueOrThrow({ where: { id } })).status).toBe("scheduled");

    const run = allowed(await db.$transaction((tx) => startRun(tx, { actor: SYSTEM, campaignId: id, now: new Date() }))).run!;
    await db.campaignRun.update({ where: { id: run.id }, data: { status: "sending" } });
    const finish = await attempt((tx) => finishRun(tx, { actor: A[who]!, runId: run.id, now: new Date() }));
    expectRefused(finish, A[who]!, "run_finished", "role");
    expect(finish.events[0]!.data.campaignId).toBe(id);
  });
});
