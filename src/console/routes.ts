import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { clientAddress } from "../http/clientAddress.ts";
import { isLocale, type Translate } from "../i18n.ts";
import { SECURITY_HEADERS } from "../channels/web/channel.ts";
import { consoleSession, csrfTokenOf, endConsoleSession, redeemConsoleLogin, requestConsoleLogin, type LoginRefusal } from "../core/console/logins.ts";
import { refuseConsoleArea } from "../core/console/queueView.ts";
import { tipAction } from "../core/actions/table.ts";
import { TipStateError, type TipCommandContext } from "../core/tips/commands/context.ts";
import { fromRoot } from "../paths.ts";
import { forbiddenPage, homePage, layout, linkPage, loginPage, type PageContext } from "./pages.ts";
import type { ConsoleKit, ConsoleOptions, Session } from "./kit.ts";
import { AREAS } from "./areas/index.ts";
import { landingOf } from "./nav.ts";

/** The console's session cookie (a random secret; the database keeps only its hash). */
export const CONSOLE_COOKIE = "tm_console";
/** The login forms' CSRF cookie (double submit: the forms carry the same value). */
export const PRE_COOKIE = "tm_console_pre";
/** The chosen language. */
const LANG_COOKIE = "tm_console_lang";
const STATIC_DIR = fromRoot("src", "console", "public");
/** Login requests (by id or code) one client address may make per 15 minutes before being told to wait. */
const LOGIN_POSTS_PER_ADDRESS = 60;

export type { ConsoleOptions } from "./kit.ts";

type Req = FastifyRequest;

function cookies(req: Req): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of String(req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

const sameSecret = (a: string | undefined, b: string | undefined) =>
  !!a && !!b && a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The web console at `/console`, served by the same service: passwordless login by a one-time link
 * or code sent by the bot, sessions in an HttpOnly SameSite=Strict cookie (Secure over HTTPS),
 * checked on every request (idle timeout, revoked officers), a CSRF token on every form, a strict
 * CSP. The live queue (`/console/queue`, refreshed by polling `/console/api/queue`) runs claim and
 * close through the action table, as the Telegram buttons do.
 */
export function registerConsole(http: FastifyInstance, opts: ConsoleOptions): void {
  const { db, t, config } = opts;
  const assets = new Map<string, { body: Buffer; type: string }>();
  for (const file of fs.readdirSync(STATIC_DIR)) {
    const type = file.endsWith(".js") ? "text/javascript; charset=utf-8" : file.endsWith(".css") ? "text/css; charset=utf-8" : undefined;
    if (type) assets.set(file, { body: fs.readFileSync(path.join(STATIC_DIR, file)), type });
  }
  const loginPosts = new Map<string, number[]>();
  const secure = (req: Req) => config.publicUrl?.startsWith("https:") === true || req.protocol === "https";
  const cookie = (req: Req, name: string, value: string, maxAgeSeconds: number) =>
    `${name}=${value}; Path=/console; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure(req) ? "; Secure" : ""}`;
  const clientKey = (req: Req) => crypto.createHash("sha256").update(clientAddress(req)).digest("hex").slice(0, 16);

  const langOf = (req: Req, reply: FastifyReply): string => {
    const asked = (req.query as { lang?: unknown } | undefined)?.lang;
    if (isLocale(asked)) {
      reply.header("set-cookie", `${LANG_COOKIE}=${asked}; Path=/console; Max-Age=31536000; SameSite=Strict${secure(req) ? "; Secure" : ""}`);
      return asked;
    }
    const saved = cookies(req).get(LANG_COOKIE);
    if (isLocale(saved)) return saved;
    const accepted = /^\s*([a-z]{2})/i.exec(String(req.headers["accept-language"] ?? ""))?.[1]?.toLowerCase();
    return isLocale(accepted) ? accepted : "vi";
  };
  const ctxOf = (req: Req, reply: FastifyReply, session?: Session): PageContext => ({
    lang: langOf(req, reply),
    t,
    officer: session?.officer,
    csrf: session?.csrf,
    path: req.url.split("?")[0]!,
  });
  const html = (reply: FastifyReply, body: string, code = 200) => reply.code(code).type("text/html; charset=utf-8").header("cache-control", "no-store").send(body);

  /** The request's session, or undefined (a revoked officer's session is ended here). */
  const sessionOf = async (req: Req): Promise<Session | undefined> => {
    const secret = cookies(req).get(CONSOLE_COOKIE);
    const found = await consoleSession(db, { secret, idleMinutes: config.console.idleMinutes });
    return found.ok ? { officer: found.officer, secret: secret!, csrf: csrfTokenOf(secret!) } : undefined;
  };
  /** The pre-session CSRF value for the login forms (set when missing). */
  const preCsrf = (req: Req, reply: FastifyReply): string => {
    const existing = cookies(req).get(PRE_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const value = crypto.randomBytes(32).toString("base64url");
    reply.header("set-cookie", cookie(req, PRE_COOKIE, value, 3600));
    return value;
  };
  const body = (req: Req) => (req.body && typeof req.body === "object" ? (req.body as Record<string, string>) : {});
  const tooManyLoginPosts = (req: Req): boolean => {
    const key = clientAddress(req);
    const now = Date.now();
    const recent = (loginPosts.get(key) ?? []).filter((at) => at > now - 15 * 60_000);
    recent.push(now);
    loginPosts.set(key, recent);
    if (loginPosts.size > 10_000) loginPosts.clear();
    return recent.length > LOGIN_POSTS_PER_ADDRESS;
  };

  void http.register(async (scope) => {
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 256 * 1024 }, (_req, raw, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(raw))));
    });
    scope.addHook("onRequest", async (req, reply) => {
      reply.headers(SECURITY_HEADERS);
      // Forms are posted from our own pages only (SameSite=Strict cookies and the CSRF token besides).
      if (req.method === "POST") {
        const site = req.headers["sec-fetch-site"];
        const origin = req.headers.origin;
        const crossSite = (typeof site === "string" && site !== "same-origin" && site !== "none") || (typeof origin === "string" && origin !== "null" && new URL(origin).host !== req.headers.host);
        if (crossSite) return reply.code(403).type("text/plain; charset=utf-8").send("forbidden");
      }
    });

    scope.get("/console/static/:file", async (req, reply) => {
      const asset = assets.get((req.params as { file: string }).file);
      if (!asset) return reply.code(404).send();
      return reply.type(asset.type).header("cache-control", "no-cache").send(asset.body);
    });

    scope.get("/console", async (req, reply) => {
      const session = await sessionOf(req);
      if (!session) return reply.redirect("/console/login", 303);
      return reply.redirect(landingOf(session.officer), 303);
    });

    scope.get("/console/login", async (req, reply) => {
      const c = ctxOf(req, reply);
      const pre = preCsrf(req, reply);
      const said = (req.query as { said?: string }).said;
      const message = said === "logged_out" ? { text: t(c.lang, "console:session.logged_out"), kind: "status" as const } : undefined;
      return html(reply, loginPage(c, pre, message));
    });

    const checkPre = (req: Req) => sameSecret(body(req).csrf, cookies(req).get(PRE_COOKIE));

    scope.post("/console/login", async (req, reply) => {
      const c = ctxOf(req, reply);
      const pre = preCsrf(req, reply);
      if (!checkPre(req)) return html(reply, loginPage(c, pre, { text: t(c.lang, "console:csrf"), kind: "alert" }), 403);
      if (tooManyLoginPosts(req)) return html(reply, loginPage(c, pre, { text: t(c.lang, "console:login.too_fast"), kind: "alert" }), 429);
      const id = String(body(req).telegramUserId ?? "").trim();
      if (!/^\d{1,20}$/.test(id)) return html(reply, loginPage(c, pre, { text: t(c.lang, "console:login.bad_id"), kind: "alert" }), 400);
      const renderer = opts.officerRenderer();
      if (renderer) {
        const done = await db.$transaction((tx) =>
          requestConsoleLogin(tx, { officerRenderer: renderer, baseUrl: config.console.url, limits: config.codeGuess }, { telegramUserId: id, via: "console" }),
        );
        opts.notify(done.refs);
      }
      // The same answer whether or not the id is a registered person's.
      return html(reply, loginPage(c, pre, { text: t(c.lang, "console:login.requested"), kind: "status" }));
    });

    const redeem = async (req: Req, reply: FastifyReply, secret: string, by: "link" | "code") => {
      const c = ctxOf(req, reply);
      const renderer = opts.officerRenderer();
      const done = await db.$transaction((tx) =>
        redeemConsoleLogin(tx, {
          secret,
          by,
          client: clientKey(req),
          idleMinutes: config.console.idleMinutes,
          limits: config.codeGuess,
          alerts: renderer ? { codeGuess: config.codeGuess, officerRenderer: renderer } : undefined,
        }),
      );
      if (!done.ok) {
        if (done.refs?.length) opts.notify(done.refs);
        const key: Record<LoginRefusal, string> = { wrong: "console:login.wrong", revoked: "console:login.wrong", limited: "console:login.limited" };
        return html(reply, loginPage(c, preCsrf(req, reply), { text: t(c.lang, key[done.reason], { minutes: config.codeGuess.windowMinutes }), kind: "alert" }), done.reason === "limited" ? 429 : 400);
      }
      reply.header("set-cookie", cookie(req, CONSOLE_COOKIE, done.session.secret, config.console.idleMinutes * 60 * 24));
      return reply.redirect(landingOf(done.session.officer), 303);
    };

    scope.post("/console/login/code", async (req, reply) => {
      const c = ctxOf(req, reply);
      if (!checkPre(req)) return html(reply, loginPage(c, preCsrf(req, reply), { text: t(c.lang, "console:csrf"), kind: "alert" }), 403);
      if (tooManyLoginPosts(req)) return html(reply, loginPage(c, preCsrf(req, reply), { text: t(c.lang, "console:login.too_fast"), kind: "alert" }), 429);
      return redeem(req, reply, String(body(req).code ?? "").trim(), "code");
    });

    scope.get("/console/login/:token", async (req, reply) => {
      const token = (req.params as { token: string }).token;
      const c = ctxOf(req, reply);
      if (!/^[0-9a-f]{64}$/.test(token)) return html(reply, loginPage(c, preCsrf(req, reply), { text: t(c.lang, "console:login.wrong"), kind: "alert" }), 400);
      return html(reply, linkPage(c, preCsrf(req, reply), token));
    });

    scope.post("/console/login/:token", async (req, reply) => {
      const c = ctxOf(req, reply);
      if (!checkPre(req)) return html(reply, loginPage(c, preCsrf(req, reply), { text: t(c.lang, "console:csrf"), kind: "alert" }), 403);
      if (tooManyLoginPosts(req)) return html(reply, loginPage(c, preCsrf(req, reply), { text: t(c.lang, "console:login.too_fast"), kind: "alert" }), 429);
      return redeem(req, reply, (req.params as { token: string }).token, "link");
    });

    /** The session of a page request, or a redirect to the login page. */
    const requireSession = async (req: Req, reply: FastifyReply): Promise<Session | undefined> => {
      const session = await sessionOf(req);
      if (!session) {
        await reply.redirect("/console/login", 303);
        return undefined;
      }
      return session;
    };
    const checkCsrf = (req: Req, session: Session) => sameSecret(body(req).csrf, session.csrf);

    scope.post("/console/logout", async (req, reply) => {
      const session = await sessionOf(req);
      if (session && !checkCsrf(req, session)) return html(reply, layout(ctxOf(req, reply, session), "403", `<p role="alert">${t(langOf(req, reply), "console:csrf")}</p>`), 403);
      if (session) await db.$transaction((tx) => endConsoleSession(tx, { secret: session.secret }));
      reply.header("set-cookie", cookie(req, CONSOLE_COOKIE, "", 0));
      return reply.redirect("/console/login?said=logged_out", 303);
    });

    scope.get("/console/home", async (req, reply) => {
      const session = await requireSession(req, reply);
      if (!session) return reply;
      return html(reply, homePage(ctxOf(req, reply, session)));
    });

    const kit: ConsoleKit = {
      opts,
      db,
      t,
      sessionOf,
      guard: async (req, reply, area, allowed, answer = "page") => {
        const session = await sessionOf(req);
        if (!session) {
          if (answer === "json") await reply.code(401).send({ error: "no_session" });
          else await reply.redirect("/console/login", 303);
          return undefined;
        }
        if (!allowed(session.officer)) {
          await db.$transaction((tx) => refuseConsoleArea(tx, session.officer, area));
          if (answer === "json") await reply.code(403).send({ error: "forbidden" });
          else await html(reply, forbiddenPage(ctxOf(req, reply, session)), 403);
          return undefined;
        }
        return session;
      },
      checkCsrf,
      csrfRefused: (req, reply, session) => html(reply, layout(ctxOf(req, reply, session), "403", `<p role="alert">${t(langOf(req, reply), "console:csrf")}</p>`), 403),
      ctxOf,
      html,
      body,
      runTipAction: async (session, tipId, actionId, form) => {
        const renderer = opts.officerRenderer();
        const tip = await db.tip.findUnique({ where: { id: tipId }, select: { id: true, code: true } });
        if (!tip || !renderer) return { ok: false, reason: "not_found" };
        const action = tipAction(actionId);
        const arg = action.arg ? action.arg.parse(String(form[action.arg.flag] ?? "")) : "";
        if (arg === undefined) return { ok: false, reason: "bad_input" };
        const outcome = await db.$transaction(async (tx) => {
          const ctx: TipCommandContext = {
            tx,
            actor: { kind: "officer", officerId: session.officer.id },
            detail: `console:${action.id}`,
            sealer: opts.sealer,
            officerRenderer: renderer,
            renderers: opts.renderers,
            now: new Date(),
          };
          try {
            return { ok: true as const, refs: await action.run(ctx, tip.id, arg) };
          } catch (err) {
            // A refusal of rights is recorded in this transaction: let it commit.
            if (err instanceof TipStateError) return { ok: false as const, reason: err.reason };
            throw err;
          }
        });
        if (!outcome.ok) return outcome;
        opts.notify(outcome.refs);
        return { ok: true, code: tip.code };
      },
    };
    for (const area of AREAS) area.register(scope, kit);
  });
}
