import crypto from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { BotAnswerMemo, botAnswer, entryChoices, exportKnowledge, legalQueue, listEntries, mayUseLegal, previewImport, storedEntry } from "../../core/console/legalView.ts";
import { answerQuestion } from "../../core/qa/commands/answerQuestion.ts";
import { importKnowledgeEntries } from "../../core/qa/commands/importKnowledgeEntries.ts";
import { retireKnowledgeEntry } from "../../core/qa/commands/retireKnowledgeEntry.ts";
import { saveAnswerToKnowledge } from "../../core/qa/commands/saveAnswerToKnowledge.ts";
import { saveKnowledgeEntry } from "../../core/qa/commands/saveKnowledgeEntry.ts";
import { MAX_QUESTION_CHARS } from "../../core/qa/askTurn.ts";
import type { ConsoleArea, Session } from "../kit.ts";
import type { PageContext } from "../pages.ts";
import { entryFormOf, entryFormPage, entryOfForm, fieldOfIssue, formOfEntry, importPage, kbListPage, legalQueuePage, testBoxPage, withLegalAssets, type EntryForm, type Message } from "../legalPages.ts";

/** A question's id in a path (cuid). */
const QUESTION_ID = /^[a-z0-9]{8,40}$/;
/** An entry's id in a path or a form (the file format's rule). */
const ENTRY_ID = /^kb-[a-z0-9-]{1,80}$/;
/** The largest import a form may post (URL-encoded: Vietnamese text takes about three times its size). */
export const IMPORT_BODY_LIMIT = 12 * 1024 * 1024;

const today = () => new Date().toISOString().slice(0, 10);
const newEntryId = () => `kb-c-${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`;

/**
 * The legal staff's console (legal staff and administrators; everyone else 403, audited as
 * `console.legal`): the questions waiting for an answer (answer → relayed to the asker on their
 * channel; save into the knowledge base as a new entry or a new phrasing of one), the knowledge
 * base's list, editor, import (dry run, then confirm) and export, and the test box showing what the
 * bot would answer. Every change runs the same command as the Telegram group or the CLI
 * (src/core/qa/commands/), authorised and audited there. The bot serves a change as soon as it
 * commits, on every instance: the knowledge base is rebuilt when the stored entries' stamp changes.
 */
export const legalArea: ConsoleArea = {
  id: "legal",
  register(scope, kit) {
    const { db, t } = kit;
    // The knowledge base the bot serves (one index per process), rebuilt when the stored entries' stamp changes.
    const fresh = () => kit.opts.knowledge.fresh(db);
    const memo = new BotAnswerMemo();

    const guard = (req: FastifyRequest, reply: FastifyReply, answer: "page" | "json" = "page") => kit.guard(req, reply, "legal", mayUseLegal, answer);
    const page = (reply: FastifyReply, html: string, code = 200) => kit.html(reply, withLegalAssets(html), code);
    const actor = (session: Session) => ({ kind: "officer" as const, officerId: session.officer.id });
    const msg = (c: PageContext, key: string, params?: Record<string, unknown>, kind: Message["kind"] = "status"): Message => ({ text: t(c.lang, `console_legal:${key}`, params), kind });
    /** A POST's session (guarded, CSRF checked), or undefined once answered. */
    const postSession = async (req: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> => {
      const session = await guard(req, reply);
      if (!session) return undefined;
      if (!kit.checkCsrf(req, session)) {
        await kit.csrfRefused(req, reply, session);
        return undefined;
      }
      return session;
    };
    /** The message a redirect's query names (only known words and ids pass). */
    const said = (c: PageContext, req: FastifyRequest): Message | undefined => {
      const q = (req.query ?? {}) as Record<string, string | undefined>;
      const id = /^(Q-[A-Z0-9]{6}|kb-[a-z0-9-]{1,80})$/.test(q.id ?? "") ? q.id : "";
      const n = /^\d{1,5}$/.test(q.n ?? "") ? q.n : "0";
      if (q.done && /^[a-z_]{1,30}$/.test(q.done)) return msg(c, `done.${q.done}`, { id, n });
      if (q.refused && /^[a-z_]{1,30}$/.test(q.refused)) return msg(c, `refused.${q.refused}`, { id }, "alert");
      return undefined;
    };

    // ── The questions waiting for the legal staff ──
    scope.get("/console/legal", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      // The memo's stamp is read before the index is refreshed: a change committed in between empties it next time.
      await memo.forStamp(db);
      const kb = await fresh();
      const [queue, choices] = await Promise.all([legalQueue(db, kb, memo), entryChoices(db)]);
      return page(reply, legalQueuePage(c, queue, choices, said(c, req)));
    });

    /** Saves an answered question into the knowledge base as the form chose (or not: "none"). */
    const save = async (session: Session, questionId: string, form: Record<string, string>): Promise<{ kind: "none" } | { kind: "refused"; reason: string } | { kind: "new" | "phrasing"; entryId: string }> => {
      const how = form.save;
      if (how !== "new" && how !== "phrasing") return { kind: "none" };
      const entryId = String(form.entryId ?? "").trim();
      if (how === "phrasing" && !ENTRY_ID.test(entryId)) return { kind: "refused", reason: "no_entry" };
      const saved = await db.$transaction((tx) =>
        saveAnswerToKnowledge(tx, { actor: actor(session), questionId, sourceText: t("vi", "qa:staff.source"), ...(how === "phrasing" ? { intoEntryId: entryId } : {}) }),
      );
      return saved.ok ? { kind: how, entryId: saved.entryId } : { kind: "refused", reason: saved.reason };
    };
    /** Where a save leads: a new entry opens in the editor (to add its legal source and translations); otherwise back to the queue. */
    const afterSave = (saved: Awaited<ReturnType<typeof save>>, label: string, answered: boolean): string => {
      const prefix = answered ? "answered_" : "";
      switch (saved.kind) {
        case "new":
          return `/console/legal/kb/${saved.entryId}?done=${prefix}saved_new`;
        case "phrasing":
          return `/console/legal?done=${prefix}saved_phrasing&id=${encodeURIComponent(saved.entryId)}`;
        case "refused":
          return `/console/legal?${answered ? `done=answered&id=${label}&` : ""}refused=${saved.reason}`;
        default:
          return answered ? `/console/legal?done=answered&id=${label}` : "/console/legal?refused=bad_input";
      }
    };
    const labelOf = (id: string) => `Q-${id.slice(-6).toUpperCase()}`;

    scope.post("/console/legal/questions/:id/answer", async (req, reply) => {
      const { id } = req.params as { id: string };
      if (!QUESTION_ID.test(id)) return reply.code(404).send();
      const session = await postSession(req, reply);
      if (!session) return reply;
      const form = kit.body(req);
      const renderer = kit.opts.officerRenderer();
      if (!renderer) return reply.redirect("/console/legal?refused=unavailable", 303);
      const answered = await db.$transaction((tx) =>
        answerQuestion(tx, { sealer: kit.opts.sealer, officerRenderer: renderer, renderers: kit.opts.renderers }, { actor: actor(session), questionId: id, answer: String(form.answer ?? "") }),
      );
      if (!answered.ok) return reply.redirect(`/console/legal?refused=${answered.reason}&id=${labelOf(id)}`, 303);
      kit.opts.notify(answered.refs);
      return reply.redirect(afterSave(await save(session, id, form), labelOf(id), true), 303);
    });

    scope.post("/console/legal/questions/:id/save", async (req, reply) => {
      const { id } = req.params as { id: string };
      if (!QUESTION_ID.test(id)) return reply.code(404).send();
      const session = await postSession(req, reply);
      if (!session) return reply;
      return reply.redirect(afterSave(await save(session, id, kit.body(req)), labelOf(id), false), 303);
    });

    // ── The knowledge base ──
    scope.get("/console/legal/kb", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const q = (req.query ?? {}) as Record<string, string | undefined>;
      const status = q.status === "retired" || q.status === "all" ? q.status : "active";
      const search = String(q.q ?? "").slice(0, 200);
      const list = await listEntries(db, { q: search, status, page: Number(q.page) || 1 });
      return page(reply, kbListPage(c, list, { q: search, status }, said(c, req)));
    });

    /** The errors of a refused entry, by form field, translated. */
    const fieldErrors = (c: PageContext, issues: ReadonlyArray<{ path: readonly PropertyKey[] }>): Map<string, string> => {
      const out = new Map<string, string>();
      for (const issue of issues) {
        const field = fieldOfIssue(issue.path) || "id";
        if (!out.has(field)) out.set(field, t(c.lang, `console_legal:invalid.${field}`));
      }
      return out;
    };

    const writeEntry = async (req: FastifyRequest, reply: FastifyReply, mode: "add" | "edit", id?: string) => {
      const session = await postSession(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const form: EntryForm = entryFormOf(kit.body(req));
      if (id) form.id = id;
      const meta = id ? await storedEntry(db, id) : null;
      if (mode === "edit" && !meta) return reply.code(404).send();
      const expected = /^\d{1,15}$/.test(form.updatedAt) ? Number(form.updatedAt) : undefined;
      const done = await db.$transaction((tx) => saveKnowledgeEntry(tx, { actor: actor(session), mode, input: entryOfForm(form), expectedUpdatedAt: mode === "edit" ? expected : undefined }));
      const again = (errors: Map<string, string>, message?: Message, code = 400) =>
        page(reply, entryFormPage(c, mode, form, { active: meta?.active, createdBy: meta?.createdBy }, errors, message), code);
      if (done.ok) return reply.redirect(`/console/legal/kb/${done.entryId}?done=${mode === "add" ? "added" : done.fields.length ? "edited" : "unchanged"}`, 303);
      if (done.reason === "invalid") return again(fieldErrors(c, done.issues));
      if (done.reason === "exists") return again(new Map([["id", t(c.lang, "console_legal:invalid.id_taken")]]));
      if (done.reason === "stale") {
        // Someone saved the entry meanwhile: what was typed stays in the form, now based on their version (saving again overwrites it knowingly).
        const now = await storedEntry(db, form.id);
        if (now) form.updatedAt = String(now.updatedAt.getTime());
        return again(new Map(), msg(c, "refused.stale", {}, "alert"), 409);
      }
      if (done.reason === "missing") return reply.code(404).send();
      return again(new Map(), msg(c, `refused.${done.reason}`, {}, "alert"), 403);
    };

    scope.get("/console/legal/kb/new", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const blank = formOfEntry({ id: newEntryId(), topics: [], questions: { vi: [] }, answer: { vi: "" }, source: { law: "" }, reportable: false, lastReviewed: today() });
      return page(reply, entryFormPage(c, "add", blank, {}, new Map()));
    });
    scope.post("/console/legal/kb/new", (req, reply) => writeEntry(req, reply, "add"));

    scope.get("/console/legal/kb/:id", async (req, reply) => {
      const { id } = req.params as { id: string };
      if (!ENTRY_ID.test(id)) return reply.code(404).send();
      const session = await guard(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const stored = await storedEntry(db, id);
      if (!stored) return reply.code(404).send();
      return page(reply, entryFormPage(c, "edit", formOfEntry(stored.entry, stored.updatedAt), stored, new Map(), said(c, req)));
    });
    scope.post("/console/legal/kb/:id", async (req, reply) => {
      const { id } = req.params as { id: string };
      if (!ENTRY_ID.test(id)) return reply.code(404).send();
      return writeEntry(req, reply, "edit", id);
    });
    for (const verb of ["retire", "restore"] as const) {
      scope.post(`/console/legal/kb/:id/${verb}`, async (req, reply) => {
        const { id } = req.params as { id: string };
        if (!ENTRY_ID.test(id)) return reply.code(404).send();
        const session = await postSession(req, reply);
        if (!session) return reply;
        const done = await db.$transaction((tx) => retireKnowledgeEntry(tx, { actor: actor(session), entryId: id, active: verb === "restore" }));
        if (!done.ok) return done.reason === "missing" ? reply.code(404).send() : reply.redirect(`/console/legal/kb/${id}?refused=${done.reason}`, 303);
        return reply.redirect(`/console/legal/kb/${id}?done=${verb === "retire" ? "retired" : "restored"}`, 303);
      });
    }

    // ── Export and import ──
    scope.get("/console/legal/export", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const entries = await exportKnowledge(db);
      return reply
        .header("cache-control", "no-store")
        .header("content-disposition", `attachment; filename="kb-export-${today()}.json"`)
        .type("application/json; charset=utf-8")
        .send(`${JSON.stringify(entries, null, 2)}\n`);
    });

    scope.get("/console/legal/import", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      return page(reply, importPage(kit.ctxOf(req, reply, session), {}));
    });

    scope.post("/console/legal/import", { bodyLimit: IMPORT_BODY_LIMIT }, async (req, reply) => {
      const session = await postSession(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const form = kit.body(req);
      const text = String(form.json ?? "");
      const preview = await previewImport(db, text);
      if (!preview.ok) return page(reply, importPage(c, { text, problems: preview.problems }), 400);
      if (form.step !== "confirm") return page(reply, importPage(c, { text, changes: preview.changes, stamp: preview.stamp }));
      // Confirmed on the knowledge base the dry run was computed on; changed since, the new dry run is shown again.
      if (form.stamp !== preview.stamp) return page(reply, importPage(c, { text, changes: preview.changes, stamp: preview.stamp, message: msg(c, "import.changed_since", {}, "alert") }), 409);
      const done = await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: actor(session), input: preview.entries }), { timeout: 60_000, maxWait: 30_000 });
      if (!done.ok) return page(reply, importPage(c, { text, message: msg(c, `refused.${done.reason}`, {}, "alert") }), done.reason === "invalid" ? 400 : 403);
      return reply.redirect(`/console/legal/kb?done=imported&n=${done.count}`, 303);
    });

    // ── The test box ──
    scope.get("/console/legal/test", async (req, reply) => {
      const session = await guard(req, reply);
      if (!session) return reply;
      const c = kit.ctxOf(req, reply, session);
      const q = String(((req.query ?? {}) as { q?: string }).q ?? "").trim().slice(0, MAX_QUESTION_CHARS);
      return page(reply, testBoxPage(c, q, q ? botAnswer(await fresh(), q) : undefined));
    });
  },
};
