import type { FastifyReply, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import type { Tx } from "../../db/client.ts";
import { enqueueCalls, type OutboxRef } from "../../outbox/outbound.ts";
import { countAudience, type Audience } from "../../core/campaigns/audience.ts";
import { CampaignError } from "../../core/campaigns/campaignError.ts";
import { addContent, contentSchema } from "../../core/campaigns/commands/addContent.ts";
import { audienceInScope, authorizeStaff } from "../../core/campaigns/commands/authorizeStaff.ts";
import { cancelCampaign } from "../../core/campaigns/commands/cancelCampaign.ts";
import { confirmCampaign } from "../../core/campaigns/commands/confirmCampaign.ts";
import { createCampaign } from "../../core/campaigns/commands/createCampaign.ts";
import { pauseCampaign } from "../../core/campaigns/commands/pauseCampaign.ts";
import { resumeCampaign } from "../../core/campaigns/commands/resumeCampaign.ts";
import { sendPreview } from "../../core/campaigns/commands/sendPreview.ts";
import { contentEditable, updateContent } from "../../core/campaigns/commands/updateContent.ts";
import { OUTREACH_QUEUE_ID } from "../../core/campaigns/outreach.ts";
import { NO_QUIET_HOURS, nextRun, parseSchedule, scheduleSummary, type CampaignSchedule } from "../../core/campaigns/schedule.ts";
import { audienceOf, campaignFigures, campaignsInScope, contentLibrary, mayUseOutreach, type CampaignFigures } from "../../core/console/outreachView.ts";
import type { Actor } from "../../core/events/recordEvent.ts";
import { officerName, type OfficerRecord } from "../../core/officers/authorize.ts";
import { groupFor } from "../../core/tips/cards.ts";
import { formatVnDateTime } from "../../core/vnTime.ts";
import type { ConsoleArea, Session } from "../kit.ts";
import { layout, notice, type PageContext } from "../pages.ts";
import { composerAudience, composerSchedule, contentErrors, contentInput, contentValues, type FieldError, type FormValues } from "../outreachForms.ts";
import {
  audienceText,
  campaignLive,
  campaignPage,
  campaignRows,
  campaignsPage,
  checkSection,
  composerPage,
  contentFormPage,
  libraryPage,
  liveVersion,
  previewBlocks,
  type ComposerCheck,
  type PageMessage,
} from "../outreachPages.ts";

/** The campaign commands the console's buttons run (the same the staff group's buttons and the CLI run). */
const VERBS = {
  confirm: { said: "campaign:staff.confirmed" },
  pause: { said: "campaign:staff.paused" },
  resume: { said: "campaign:staff.resumed" },
  cancel: { said: "campaign:staff.cancelled" },
} as const;
type Verb = keyof typeof VERBS;

/** What a refused or failed campaign/content command is called in the console's messages. */
const REASONS = new Set(["not_found", "state", "bad_schedule", "bad_audience", "bad_paid", "refused", "scope", "role", "revoked", "not_officer", "locked"]);
const DONE = new Set(["drafted", "confirmed", "pause", "resume", "cancel", "confirm", "created", "saved"]);
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const VIA = "console";

const first = (v: unknown): string | undefined => (Array.isArray(v) ? first(v[0]) : typeof v === "string" ? v : undefined);
/** A query string's values as a form's (one string per name). */
const queryValues = (req: FastifyRequest): FormValues =>
  Object.fromEntries(Object.entries((req.query ?? {}) as Record<string, unknown>).flatMap(([k, v]) => (first(v) === undefined ? [] : [[k, first(v)!.slice(0, 2000)]])));
const actorOf = (session: Session): Actor & { kind: "officer" } => ({ kind: "officer", officerId: session.officer.id });

/**
 * The outreach staff's console (`/console/outreach/…`): the content library and its editor, the
 * campaign composer with its live recipient count, the campaigns list with live progress and each
 * campaign's report. Outreach staff and administrators only (others are refused, audited as
 * `console.outreach`); every change runs the campaign commands (`src/core/campaigns/commands/`), which
 * check the role and the person's area again and record the event, exactly as the staff group's
 * `/campaign` flow and the admin CLI do.
 */
export const outreachArea: ConsoleArea = {
  id: "outreach",
  register(scope, kit) {
    const { db, t } = kit;
    const quiet = () => kit.opts.config.campaigns.quietHours;
    const guard = (req: FastifyRequest, reply: FastifyReply, answer: "page" | "json" = "page") => kit.guard(req, reply, "outreach", mayUseOutreach, answer);
    const said = (c: PageContext, req: FastifyRequest): PageMessage | undefined => {
      const q = queryValues(req);
      if (q.done && DONE.has(q.done)) return { text: t(c.lang, `console_outreach:done.${q.done}`, { at: q.at ?? "" }), kind: "status" };
      if (q.error && REASONS.has(q.error)) return { text: t(c.lang, `console_outreach:refused.${q.error}`), kind: "alert" };
      return undefined;
    };
    const refusedText = (c: PageContext, reason: string) => t(c.lang, `console_outreach:refused.${REASONS.has(reason) ? reason : "refused"}`);

    /** Province and commune names, for audiences read back in words. */
    const placeNames = async (audiences: Audience[]): Promise<Map<string, string>> => {
      const names = new Map<string, string>();
      const provinces = [...new Set(audiences.flatMap((a) => a.provinces ?? []))];
      const communes = [...new Set(audiences.flatMap((a) => a.communes ?? []))];
      if (provinces.length) for (const p of await db.province.findMany({ where: { code: { in: provinces } }, select: { code: true, name: true } })) names.set(p.code, p.name);
      for (let i = 0; i < communes.length; i += 500) {
        for (const x of await db.commune.findMany({ where: { code: { in: communes.slice(i, i + 500) } }, select: { code: true, name: true } })) names.set(x.code, x.name);
      }
      return names;
    };
    /** The provinces a person may pick: all for national staff, their own for a province's, none for a commune's (they name their commune). */
    const provincesFor = async (officer: OfficerRecord) =>
      officer.scopeKind === "national"
        ? db.province.findMany({ orderBy: { code: "asc" }, select: { code: true, name: true } })
        : officer.scopeKind === "province"
          ? db.province.findMany({ where: { code: officer.scopeCode }, select: { code: true, name: true } })
          : [];
    const scheduleWords = (c: PageContext, schedule: CampaignSchedule): string => {
      const s = scheduleSummary(schedule);
      const params: Record<string, unknown> = { ...s.params };
      if (s.params.day && /^[a-z]+day$/.test(s.params.day)) params.day = t(c.lang, `campaign:schedule.weekday.${s.params.day}`);
      return t(c.lang, s.key, params);
    };

    /** What the composer's fields mean: recipients now (within the person's area), the audience and the schedule in words. */
    const check = async (c: PageContext, officer: OfficerRecord, form: FormValues): Promise<ComposerCheck & { audience: Audience }> => {
      const provinces = (await db.province.findMany({ select: { code: true } })).map((p) => p.code);
      const { audience, errors } = composerAudience(form, provinces);
      const names = await placeNames([audience]);
      const unknownCommunes = (audience.communes ?? []).filter((code) => !names.has(code));
      const inScope = !errors.length && !unknownCommunes.length && (await audienceInScope(db, officer, audience));
      const count = inScope ? await countAudience(db, audience) : null;
      const text = composerSchedule(form);
      let schedule: ComposerCheck["schedule"] = null;
      if (text) {
        const now = new Date();
        const parsed = parseSchedule(text, now);
        if (!parsed.ok) schedule = { ok: false, error: t(c.lang, `console_outreach:schedule_error.${parsed.error}`) };
        else {
          const at = nextRun(parsed.schedule, now, quiet() ?? NO_QUIET_HOURS);
          const unshifted = nextRun(parsed.schedule, now, NO_QUIET_HOURS);
          schedule = { ok: true, summary: scheduleWords(c, parsed.schedule), first: at, shifted: !!at && !!unshifted && at.getTime() !== unshifted.getTime() };
        }
      }
      return { audience, count, inScope, audienceErrors: errors, unknownCommunes, audienceText: audienceText(c, audience, names), schedule };
    };

    /** Tells the outreach staff group (when one is bound) what a staff member did from the console, as its own buttons would. */
    const announce = async (tx: Tx, officer: OfficerRecord, key: string, campaign: { id: string; nextRunAt: Date | null }): Promise<OutboxRef[]> => {
      const renderer = kit.opts.officerRenderer();
      const group = renderer ? await groupFor(tx, OUTREACH_QUEUE_ID) : null;
      if (!renderer || !group) return [];
      const chat = await tx.chat.findUnique({ where: { id: group.chatId }, select: { locale: true } });
      const at = campaign.nextRunAt ? formatVnDateTime(campaign.nextRunAt) : "";
      return enqueueCalls(tx, group, renderer.render({ key, params: { staff: officerName(officer), id: campaign.id, at } }, chat?.locale ?? "vi").calls);
    };

    // --- the content library ------------------------------------------------------------------

    scope.get("/console/outreach", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      return reply.redirect("/console/outreach/campaigns", 303);
    });

    scope.get("/console/outreach/content", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      return kit.html(reply, libraryPage(c, await contentLibrary(db), said(c, req)));
    });

    scope.get("/console/outreach/content/new", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const from = queryValues(req).from;
      const source = from && ID.test(from) ? await db.content.findUnique({ where: { id: from } }) : null;
      const values = source ? { ...contentValues(source), title: t(c.lang, "console_outreach:content.copy_of", { title: source.title }).slice(0, 200) } : {};
      return kit.html(reply, contentFormPage(c, { values, errors: [], editable: true }));
    });

    /** The content form posted: checked (and previewed) or saved through addContent / updateContent. */
    const postContent = async (req: FastifyRequest, reply: FastifyReply, contentId?: string) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      if (!kit.checkCsrf(req, session)) return kit.csrfRefused(req, reply, session);
      const c = kit.ctxOf(req, reply, session);
      const form = kit.body(req);
      const existing = contentId ? await db.content.findUnique({ where: { id: contentId } }) : null;
      if (contentId && !existing) return reply.code(404).send();
      const editable = existing ? await contentEditable(db, existing.id) : true;
      const { input, early, fieldOf } = contentInput(form, { imageUrl: existing?.imageUrl });
      const parsed = contentSchema.safeParse(input);
      const errors: FieldError[] = [...early, ...(parsed.success ? [] : contentErrors(parsed.error, fieldOf, form))];
      const page = (o: { errors?: FieldError[]; message?: PageMessage; preview?: boolean }, code = 200) =>
        kit.html(
          reply,
          contentFormPage(c, {
            id: existing?.id,
            title: existing?.title,
            values: form,
            errors: o.errors ?? [],
            editable,
            message: o.message,
            preview:
              o.preview && parsed.success
                ? previewBlocks(c, { bodies: JSON.stringify(parsed.data.bodies), source: JSON.stringify(parsed.data.source), quiz: JSON.stringify(parsed.data.quiz) })
                : undefined,
          }),
          code,
        );
      if (errors.length) return page({ errors }, 400);
      if (form.intent !== "save") return page({ preview: true, message: { text: t(c.lang, "console_outreach:content.previewed"), kind: "status" } });
      try {
        const done = await db.$transaction((tx) =>
          existing ? updateContent(tx, { actor: actorOf(session), contentId: existing.id, input, via: VIA }) : addContent(tx, { actor: actorOf(session), input, via: VIA }),
        );
        if (!done.ok) return page({ message: { text: refusedText(c, done.reason), kind: "alert" } }, 403);
        return reply.redirect(`/console/outreach/content/${done.content.id}?done=${existing ? "saved" : "created"}`, 303);
      } catch (err) {
        if (err instanceof ZodError) return page({ errors: contentErrors(err, fieldOf, form) }, 400);
        if (err instanceof CampaignError) return page({ message: { text: refusedText(c, err.reason === "state" ? "locked" : err.reason), kind: "alert" } }, 409);
        throw err;
      }
    };

    scope.post("/console/outreach/content", (req, reply) => postContent(req, reply));

    scope.get("/console/outreach/content/:id", async (req, reply) => {
      const { id } = req.params as { id: string };
      if (!ID.test(id)) return reply.code(404).send();
      const session = await guard(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const content = await db.content.findUnique({ where: { id } });
      if (!content) return reply.code(404).send();
      return kit.html(
        reply,
        contentFormPage(c, { id, title: content.title, values: contentValues(content), errors: [], editable: await contentEditable(db, id), preview: previewBlocks(c, content), message: said(c, req) }),
      );
    });

    scope.post("/console/outreach/content/:id", async (req, reply) => {
      const { id } = req.params as { id: string };
      if (!ID.test(id)) return reply.code(404).send();
      return postContent(req, reply, id);
    });

    // --- the composer -------------------------------------------------------------------------

    const composer = async (req: FastifyRequest, reply: FastifyReply, session: Session, values: FormValues, o: { errors?: FieldError[]; message?: PageMessage } = {}, code = 200) => {
      const c = kit.ctxOf(req, reply, session);
      const contents = await db.content.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 300, select: { id: true, title: true } });
      const provinces = await provincesFor(session.officer);
      return kit.html(reply, composerPage(c, { contents, provinces, values, errors: o.errors ?? [], check: await check(c, session.officer, values), quiet: quiet(), message: o.message }), code);
    };

    scope.get("/console/outreach/compose", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const q = queryValues(req);
      const o = session.officer;
      // The person's own area to begin with (the narrowest audience the commands let them reach).
      const values: FormValues = o.scopeKind === "province" ? { [`p:${o.scopeCode}`]: "on" } : o.scopeKind === "commune" ? { communes: o.scopeCode } : {};
      if (q.content && ID.test(q.content)) values.content = q.content;
      return composer(req, reply, session, values);
    });

    scope.get("/console/api/outreach/check", async (req, reply) => {
      const session = await guard(req, reply, "json");
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const result = await check(c, session.officer, queryValues(req));
      return reply.header("cache-control", "no-store").send({ count: result.count, inScope: result.inScope, scheduleOk: result.schedule?.ok ?? null, html: checkSection(c, result) });
    });

    scope.post("/console/outreach/compose", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      if (!kit.checkCsrf(req, session)) return kit.csrfRefused(req, reply, session);
      const c = kit.ctxOf(req, reply, session);
      const form = kit.body(req);
      const intent = form.intent ?? "count";
      const { csrf: _csrf, intent: _intent, ...values } = form;
      if (intent === "count") return composer(req, reply, session, values);
      const content = values.content && ID.test(values.content) ? await db.content.findUnique({ where: { id: values.content }, select: { id: true } }) : null;
      if (!content) return composer(req, reply, session, values, { errors: [{ field: "content", kind: "required" }] }, 400);
      const result = await check(c, session.officer, values);

      if (intent === "preview") {
        const done = await db.$transaction((tx) =>
          sendPreview(tx, { actor: actorOf(session), contentId: content.id, renderers: kit.opts.renderers, locale: result.audience.language, via: VIA }),
        );
        if (!done.ok) return composer(req, reply, session, values, { message: { text: refusedText(c, done.reason), kind: "alert" } }, 403);
        kit.opts.notify(done.refs);
        return composer(req, reply, session, values, { message: { text: t(c.lang, done.sent ? "console_outreach:compose.preview_sent" : "console_outreach:compose.preview_no_chat"), kind: done.sent ? "status" : "alert" } });
      }
      if (intent !== "draft" && intent !== "confirm") return reply.code(400).send();
      const errors: FieldError[] = [...result.audienceErrors, ...(result.unknownCommunes.length && !result.audienceErrors.some((e) => e.field === "communes") ? [{ field: "communes", kind: "invalid" }] : [])];
      const schedule = composerSchedule(values);
      if (!schedule) errors.push({ field: "schedule", kind: "required" });
      if (errors.length) return composer(req, reply, session, values, { errors }, 400);
      try {
        const done = await db.$transaction(async (tx) => {
          const created = await createCampaign(tx, { actor: actorOf(session), contentId: content.id, audience: result.audience, schedule, paidBroadcast: values.paid !== undefined, via: VIA });
          if (!created.ok || intent === "draft") return { created, refs: [] as OutboxRef[] };
          // Confirming is the same second step as the group's Confirm button (one transaction: a schedule already past leaves no draft behind).
          const confirmed = await confirmCampaign(tx, { actor: actorOf(session), campaignId: created.campaign.id, via: VIA, quiet: quiet() ?? NO_QUIET_HOURS });
          if (!confirmed.ok) return { created: confirmed, refs: [] as OutboxRef[] };
          return { created: confirmed, refs: await announce(tx, session.officer, VERBS.confirm.said, confirmed.campaign) };
        });
        if (!done.created.ok) return composer(req, reply, session, values, { message: { text: refusedText(c, done.created.reason), kind: "alert" } }, 403);
        kit.opts.notify(done.refs);
        return reply.redirect(`/console/outreach/campaigns/${done.created.campaign.id}?done=${intent === "draft" ? "drafted" : "confirmed"}`, 303);
      } catch (err) {
        if (!(err instanceof CampaignError)) throw err;
        const message = err.reason === "bad_schedule" && err.message.includes(":")
          ? t(c.lang, `console_outreach:schedule_error.${err.message.split(": ")[1]}`)
          : refusedText(c, err.reason);
        return composer(req, reply, session, values, { message: { text: message, kind: "alert" } }, 400);
      }
    });

    // --- campaigns ----------------------------------------------------------------------------

    const listHtml = async (c: PageContext, officer: OfficerRecord) => {
      const list = await campaignsInScope(db, officer);
      const names = await placeNames(list.map((f) => f.audience));
      return { list, html: campaignRows(c, list, new Map(list.map((f) => [f.id, audienceText(c, f.audience, names)]))), names };
    };

    scope.get("/console/outreach/campaigns", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const { list, names } = await listHtml(c, session.officer);
      return kit.html(reply, campaignsPage(c, list, new Map(list.map((f) => [f.id, audienceText(c, f.audience, names)])), said(c, req)));
    });

    scope.get("/console/api/outreach/campaigns", async (req, reply) => {
      const session = await guard(req, reply, "json");
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const { list, html } = await listHtml(c, session.officer);
      const figures = list.map((f) => ({ id: f.id, status: f.status, targeted: f.targeted, queued: f.queued, sent: f.sent, failed: f.failed, blocked: f.blocked, unsubscribed: f.unsubscribed }));
      return reply.header("cache-control", "no-store").send({ version: liveVersion(html), campaigns: figures, html });
    });

    /**
     * The campaign when the person's area covers its audience; otherwise undefined, the refusal recorded
     * (`auth.refused`, `campaign.report`, reason scope) and 403 answered; 404 when there is none.
     */
    const visibleCampaign = async (req: FastifyRequest, reply: FastifyReply, session: Session, id: string, answer: "page" | "json"): Promise<CampaignFigures | undefined> => {
      const campaign = ID.test(id) ? await db.campaign.findUnique({ where: { id }, select: { id: true, audience: true } }) : null;
      if (!campaign) {
        await reply.code(404).send();
        return undefined;
      }
      const auth = await db.$transaction((tx) => authorizeStaff(tx, { actor: actorOf(session), action: "report", via: VIA, campaignId: id, audience: audienceOf(campaign) }));
      if (!auth.ok) {
        const c = kit.ctxOf(req, reply, session);
        if (answer === "json") await reply.code(403).send({ error: "forbidden" });
        else await kit.html(reply, layout(c, "403", `<h1>${t(c.lang, "console:forbidden.heading")}</h1>${notice(refusedText(c, auth.reason), "alert")}`), 403);
        return undefined;
      }
      return campaignFigures(db, id);
    };
    const liveParts = async (c: PageContext, f: CampaignFigures) => {
      const names = await placeNames([f.audience]);
      return { audience: audienceText(c, f.audience, names), schedule: scheduleWords(c, JSON.parse(f.schedule) as CampaignSchedule) };
    };

    scope.get("/console/outreach/campaigns/:id", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const f = await visibleCampaign(req, reply, session, (req.params as { id: string }).id, "page");
      if (!f) return reply;
      const c = kit.ctxOf(req, reply, session);
      return kit.html(reply, campaignPage(c, f, { ...(await liveParts(c, f)), message: said(c, req) }));
    });

    scope.get("/console/api/outreach/campaigns/:id", async (req, reply) => {
      const session = await guard(req, reply, "json");
      if (!session) return reply;
      const f = await visibleCampaign(req, reply, session, (req.params as { id: string }).id, "json");
      if (!f) return reply;
      const c = kit.ctxOf(req, reply, session);
      const html = campaignLive(c, f, await liveParts(c, f));
      const { audience: _a, quiz, ...figures } = f;
      return reply.header("cache-control", "no-store").send({ version: liveVersion(html), figures: { ...figures, quiz }, html });
    });

    scope.post("/console/outreach/campaigns/:id/:verb", async (req, reply) => {
      const { id, verb } = req.params as { id: string; verb: string };
      // Own names only: `constructor`, `toString` or `__proto__` are not verbs (they would have run the last branch, cancel).
      if (!ID.test(id) || !Object.hasOwn(VERBS, verb)) return reply.code(404).send();
      const session = await guard(req, reply);
      if (!session) return reply;
      if (!kit.checkCsrf(req, session)) return kit.csrfRefused(req, reply, session);
      const back = kit.body(req).back === "list" ? "/console/outreach/campaigns" : `/console/outreach/campaigns/${id}`;
      const base = { actor: actorOf(session), campaignId: id, via: VIA };
      const v = verb as Verb;
      try {
        const done = await db.$transaction(async (tx) => {
          const r =
            v === "confirm"
              ? await confirmCampaign(tx, { ...base, quiet: quiet() ?? NO_QUIET_HOURS })
              : v === "pause"
                ? await pauseCampaign(tx, base)
                : v === "resume"
                  ? await resumeCampaign(tx, base)
                  : await cancelCampaign(tx, base);
          return r.ok ? { r, refs: await announce(tx, session.officer, VERBS[v].said, r.campaign) } : { r, refs: [] as OutboxRef[] };
        });
        if (!done.r.ok) return reply.redirect(`${back}?error=${done.r.reason}`, 303);
        kit.opts.notify(done.refs);
        return reply.redirect(`${back}?done=${v}`, 303);
      } catch (err) {
        if (err instanceof CampaignError) return reply.redirect(`${back}?error=${err.reason}`, 303);
        throw err;
      }
    });
  },
};
