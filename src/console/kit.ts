import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { Translate } from "../i18n.ts";
import type { OutboxRef, ReplyRenderer } from "../outbox/outbound.ts";
import type { Sealer } from "../security/sealing.ts";
import type { OfficerRecord } from "../core/officers/authorize.ts";
import type { Renderers } from "../core/tips/notifyTipster.ts";
import type { ActionId } from "../core/actions/catalog.ts";
import type { PageContext } from "./pages.ts";
import type { MediaFile } from "../channels/contract.ts";
import type { KnowledgeBase } from "../core/qa/knowledge.ts";

/** What the console's routes need from the application. */
export interface ConsoleOptions {
  db: Db;
  t: Translate;
  sealer: Sealer;
  config: Pick<Config, "console" | "codeGuess" | "publicUrl" | "campaigns">;
  /** The officers' renderer (their private chat with the bot, the tip cards), once the channels are built. */
  officerRenderer: () => ReplyRenderer | undefined;
  renderers: Renderers;
  /** Hands queued messages to the outbox sender. */
  notify: (refs: OutboxRef[]) => void;
  /** Opens a tip attachment through the channel that holds it (null: no channel here has it). */
  media?: (ref: string) => Promise<MediaFile | null>;
  /** The legal knowledge base the bot serves (one index per process, shared with the legal area). */
  knowledge: KnowledgeBase;
}

/** A logged-in person's session: who they are, the cookie's secret and the CSRF token of their forms. */
export type Session = { officer: OfficerRecord; secret: string; csrf: string };

/** How a refused request is answered: a page (403 HTML) or JSON. */
export type Answer = "page" | "json";

/** The outcome of running a tip action from the console. */
export type TipActionOutcome = { ok: true; code: string } | { ok: false; reason: string };

/**
 * The toolkit every console area registers its routes with: sessions, access checks (role and
 * scope, refusals audited), CSRF, page context and the action table. One area is one file under
 * `src/console/areas/`, listed in `areas/index.ts`.
 */
export interface ConsoleKit {
  opts: ConsoleOptions;
  db: Db;
  t: Translate;
  /** The request's session, or undefined (a revoked officer's or an idle session is ended here). */
  sessionOf(req: FastifyRequest): Promise<Session | undefined>;
  /**
   * The session of a request whose person passes `allowed`; otherwise answers (redirect to login
   * without a session; 403 with the refusal audited as `auth.refused` `console.<area>`) and
   * returns undefined.
   */
  guard(req: FastifyRequest, reply: FastifyReply, area: string, allowed: (officer: OfficerRecord) => boolean, answer?: Answer): Promise<Session | undefined>;
  /** Whether a posted form carries the session's CSRF token. */
  checkCsrf(req: FastifyRequest, session: Session): boolean;
  /** Answers 403 for a form without the right CSRF token. */
  csrfRefused(req: FastifyRequest, reply: FastifyReply, session: Session): FastifyReply;
  /** The page context (language, translator, person, CSRF token, path). */
  ctxOf(req: FastifyRequest, reply: FastifyReply, session?: Session): PageContext;
  /** Sends an HTML page (no-store). */
  html(reply: FastifyReply, body: string, code?: number): FastifyReply;
  /** The parsed form body (url-encoded), or an empty object. */
  body(req: FastifyRequest): Record<string, string>;
  /**
   * Admits an expensive request (statistics, CSV exports, charts) unless the same session already
   * has `HEAVY_PER_SESSION` of them running; then answers 429 (translated, Retry-After) and returns
   * false. Checked before any database work; the slot is freed when the response ends.
   */
  admitHeavy(req: FastifyRequest, reply: FastifyReply): boolean;
  /** Runs a tip action of the action table as this person (the same command a Telegram button runs) and hands its messages to the sender. */
  runTipAction(session: Session, tipId: string, actionId: ActionId, form: Record<string, string>): Promise<TipActionOutcome>;
}

/** One part of the console: its routes (registered inside the console's scope, with its hooks). */
export interface ConsoleArea {
  id: string;
  register(scope: FastifyInstance, kit: ConsoleKit): void;
}
