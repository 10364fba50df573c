import { Bot, Composer, type ChatTypeContext, type Context } from "grammy";
import type { UserFromGetMe, Update } from "grammy/types";
import type { Tx } from "../../db/client.ts";
import { hotSqlOf } from "../../db/hot.ts";
import type { InboundInput } from "../../core/inbound.ts";
import { processInbound, type InboundDeps } from "../../core/processInbound.ts";
import type { Logger } from "../../logger.ts";
import { enqueueCalls, type OutboundCall, type OutboxRef } from "../../outbox/outbound.ts";
import { messageRate } from "../../core/resident/residentTurn.ts";
import { primeRate, rateCountAhead } from "../../core/rateLimit.ts";
import { CHAT_WITH_DRAFT, findOrCreateChat, primeChat, type RawChatWithDraft } from "../../core/chats/findOrCreateChat.ts";
import { handleCardPress, handleGroupMessage, type OfficerDeps } from "../../core/officers/groupTurn.ts";
import { CODE_SHAPE, redeemInvite } from "../../core/officers/commands/redeemInvite.ts";
import { recordPrivateChat } from "../../core/officers/commands/recordPrivateChat.ts";
import { requestConsoleLogin } from "../../core/console/logins.ts";
import { migrateGroupChat, setChatReachable } from "../../core/chats/lifecycle.ts";
import type { Reply } from "../../core/reply.ts";
import { GROUP_COMMANDS, PRIVATE_COMMANDS } from "../../core/commandMenus.ts";
import { DEFAULT_LOCALE, LOCALES, type Translate } from "../../i18n.ts";
import { chatType, command, on } from "./route.ts";

/** The transaction an update is processed in, and the outbox rows its processing created. */
interface UpdateScope {
  tx: Tx;
  inboxId: number;
  refs: OutboxRef[];
}

/**
 * The scope of each update being handled, keyed by the update object grammY hands to its context
 * (`ctx.update` is the object given to `handleUpdate`). A WeakMap rather than AsyncLocalStorage:
 * on Node 20 the latter installs promise hooks that tax every promise in the process.
 */
const scopes = new WeakMap<Update, UpdateScope>();

function scope(ctx: Context): UpdateScope {
  const s = scopes.get(ctx.update);
  if (!s) throw new Error("Telegram update handled outside the inbox worker");
  return s;
}

/** Resident conversation in private chats: every update becomes a channel-neutral event for the core. */
function residentComposer(deps: InboundDeps): Composer<Context> {
  const composer = new Composer<Context>();
  const pm = new Composer<ChatTypeContext<Context, "private">>();
  composer.use(chatType<Context, "private">("private", pm));
  const dispatch = async (ctx: Context, input: InboundInput, leadingCalls: OutboundCall[] = []) => {
    const s = scope(ctx);
    const refs = await processInbound(s.tx, deps, {
      event: { channel: "telegram", chat: { platformChatId: String(ctx.chat!.id), kind: "private" }, input },
      sourceUpdateId: s.inboxId,
      leadingCalls,
    });
    s.refs.push(...refs);
  };

  pm.use(on("callback_query:data", (ctx) =>
    dispatch(ctx, { type: "choice", choiceId: ctx.callbackQuery.data }, [
      { method: "answerCallbackQuery", payload: { callback_query_id: ctx.callbackQuery.id } },
    ]),
  ));
  pm.use(on("message:text", (ctx) => {
    const command = /^\/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+([\s\S]*))?$/.exec(ctx.message.text);
    if (!command) return dispatch(ctx, { type: "text", text: ctx.message.text });
    const name = command[1]!.toLowerCase();
    return dispatch(ctx, name === "start" ? { type: "start" } : { type: "command", command: name, args: command[2] ?? "" });
  }));
  pm.use(on("message:location", (ctx) =>
    dispatch(ctx, { type: "location", latitude: ctx.message.location.latitude, longitude: ctx.message.location.longitude }),
  ));
  pm.use(on("message:contact", (ctx) => dispatch(ctx, { type: "contact", phone: ctx.message.contact.phone_number })));
  pm.use(on("message:photo", (ctx) =>
    dispatch(ctx, { type: "media", kind: "photo", ref: ctx.message.photo.at(-1)!.file_id, caption: ctx.message.caption }),
  ));
  pm.use(on("message:video", (ctx) => dispatch(ctx, { type: "media", kind: "video", ref: ctx.message.video.file_id, caption: ctx.message.caption })));
  pm.use(on("message:voice", (ctx) => dispatch(ctx, { type: "media", kind: "voice", ref: ctx.message.voice.file_id })));
  pm.use(on("message:audio", (ctx) => dispatch(ctx, { type: "media", kind: "audio", ref: ctx.message.audio.file_id, caption: ctx.message.caption })));
  pm.use(on("message:document", (ctx) =>
    dispatch(ctx, { type: "media", kind: "document", ref: ctx.message.document.file_id, caption: ctx.message.caption }),
  ));
  pm.use(on("message:sticker", (ctx) => dispatch(ctx, { type: "media", kind: "sticker", ref: ctx.message.sticker.file_id })));
  pm.use(on("message", (ctx) => dispatch(ctx, { type: "unsupported" })));
  return composer;
}

/** Chat lifecycle: a person blocking the bot, a group becoming a supergroup. */
function lifecycleComposer(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.use(on("my_chat_member", async (ctx) => {
    const status = ctx.myChatMember.new_chat_member.status;
    const blocked = status === "kicked" || status === "left";
    await setChatReachable(scope(ctx).tx, { channel: "telegram", platformChatId: String(ctx.chat.id), reachable: !blocked });
  }));
  composer.use(on("message:migrate_to_chat_id", async (ctx) => {
    await migrateGroupChat(scope(ctx).tx, { channel: "telegram", fromPlatformChatId: String(ctx.chat.id), toPlatformChatId: String(ctx.message.migrate_to_chat_id) });
  }));
  return composer;
}

const fullName = (u: { first_name: string; last_name?: string }) => [u.first_name, u.last_name].filter(Boolean).join(" ");

/**
 * Officers' groups: button presses under tip cards, replies to the bot's prompts, and commands.
 * Every press is answered (answerCallbackQuery), with the refusal text when refused.
 */
function officerComposer(deps: OfficerDeps): Composer<Context> {
  const composer = new Composer<Context>();
  const groups = new Composer<ChatTypeContext<Context, "group" | "supergroup">>();
  composer.use(chatType<Context, "group" | "supergroup">(["group", "supergroup"], groups));
  const groupChat = async (ctx: Context) =>
    (await findOrCreateChat(scope(ctx).tx, { channel: "telegram", chat: { platformChatId: String(ctx.chat!.id), kind: "group" } })).chat;

  groups.use(on("callback_query:data", async (ctx) => {
    const s = scope(ctx);
    const group = await groupChat(ctx);
    const result = await handleCardPress(s.tx, deps, {
      group,
      telegramUserId: String(ctx.from.id),
      displayName: fullName(ctx.from),
      data: ctx.callbackQuery.data,
      messageId: ctx.callbackQuery.message?.message_id ?? 0,
    });
    const answer: OutboundCall = {
      method: "answerCallbackQuery",
      payload: { callback_query_id: ctx.callbackQuery.id, ...(result.answer ? { text: result.answer.slice(0, 200), show_alert: result.alert === true } : {}) },
    };
    s.refs.push(...(await enqueueCalls(s.tx, { chatId: group.id, channel: "telegram" }, [answer])), ...result.refs);
  }));
  groups.use(on("message:text", async (ctx) => {
    const s = scope(ctx);
    const group = await groupChat(ctx);
    s.refs.push(
      ...(await handleGroupMessage(s.tx, deps, {
        group,
        telegramUserId: String(ctx.from.id),
        displayName: fullName(ctx.from),
        text: ctx.message.text,
        replyToMessageId: ctx.message.reply_to_message?.message_id,
      })),
    );
  }));

  // An officer's invitation: /start CODE in a private chat with the bot (the core redeems it).
  const pm = new Composer<ChatTypeContext<Context, "private">>();
  composer.use(chatType<Context, "private">("private", pm));
  pm.use(command("start", async (ctx, next) => {
    const code = ctx.match.trim();
    if (!CODE_SHAPE.test(code)) return next();
    const s = scope(ctx);
    const { chat } = await findOrCreateChat(s.tx, { channel: "telegram", chat: { platformChatId: String(ctx.chat.id), kind: "private" } });
    const redeemed = await redeemInvite(s.tx, deps, { telegramUserId: String(ctx.from.id), code, displayName: fullName(ctx.from), privateChatId: chat.id });
    s.refs.push(...redeemed.refs);
    const reply: Reply = redeemed.ok
      ? { key: "officer:admin.welcome_officer", params: { role: { $t: `officer:admin.role.${redeemed.role}` }, scope: redeemed.scope.name ?? redeemed.scope.code } }
      : redeemed.reason === "limited"
        ? { key: "officer:admin.codes_limited", params: { minutes: redeemed.retryMinutes } }
        : { key: "officer:admin.bad_invite" };
    s.refs.push(...(await enqueueCalls(s.tx, { chatId: chat.id, channel: "telegram" }, deps.officerRenderer.render(reply, chat.locale ?? "vi").calls)));
  }));
  // Officers registered from the CLI get their private chat recorded the first time they write.
  pm.use(async (ctx, next) => {
    if (ctx.from) {
      const s = scope(ctx);
      const hot = hotSqlOf(s.tx);
      let officer: { privateChatId: string | null } | null;
      if (hot) {
        // One statement: whether the writer is an officer, and the chat with its draft, which the
        // conversation reads next (primeChat) — on PostgreSQL counting the message against the
        // person's per-minute limit too (primeRate: the conversation's count).
        const platformChatId = String(ctx.chat.id);
        const rate = messageRate(deps.sealer, { channel: "telegram", platformChatId });
        const ahead = rateCountAhead(s.tx, "rate", rate);
        const row = (await hot.get<RawChatWithDraft & { officerId: string | null; officerChatId: string | null; rateCounted?: number | string }>(
          `${ahead ? `WITH ${ahead.cte} ` : ""}SELECT o."telegramUserId" AS "officerId", o."privateChatId" AS "officerChatId", ` +
            `${ahead ? `(SELECT COUNT(*) FROM "rate") AS "rateCounted", ` : ""}${CHAT_WITH_DRAFT} FROM (SELECT 1 AS "one") one ` +
            `LEFT JOIN "Officer" o ON o."telegramUserId" = ? LEFT JOIN "Chat" c ON c."channel" = 'telegram' AND c."platformChatId" = ? LEFT JOIN "TipDraft" d ON d."chatId" = c."id"`,
          ...(ahead?.params ?? []),
          String(ctx.from.id),
          platformChatId,
        ))!;
        const { officerId, officerChatId, rateCounted, ...chat } = row;
        officer = officerId === null ? null : { privateChatId: officerChatId };
        primeChat(s.tx, "telegram", platformChatId, chat.id ? chat : null);
        if (ahead) primeRate(s.tx, rate, Number(rateCounted) > 0);
      } else officer = await s.tx.officer.findUnique({ where: { telegramUserId: String(ctx.from.id) }, select: { privateChatId: true } });
      if (officer && !officer.privateChatId) {
        const { chat } = await findOrCreateChat(s.tx, { channel: "telegram", chat: { platformChatId: String(ctx.chat.id), kind: "private" } });
        await recordPrivateChat(s.tx, { telegramUserId: String(ctx.from.id), chatId: chat.id });
      }
    }
    return next();
  });
  // A login to the web console: /console in private. A person who is not an active officer or staff
  // member with a known private chat gets the residents' answer, as for any command (refusal audited).
  pm.use(command("console", async (ctx, next) => {
    const s = scope(ctx);
    const done = await requestConsoleLogin(s.tx, { officerRenderer: deps.officerRenderer, baseUrl: deps.consoleUrl, limits: deps.codeGuess }, { telegramUserId: String(ctx.from.id), via: "telegram" });
    s.refs.push(...done.refs);
    if (!done.sent) return next();
  }));
  return composer;
}

/** Mounted last: any button press nobody handled is still answered, or the client keeps spinning. */
function fallbackComposer(deps: InboundDeps): Composer<Context> {
  const composer = new Composer<Context>();
  composer.use(on("callback_query", async (ctx) => {
    const s = scope(ctx);
    const chatId = ctx.chat?.id ?? ctx.from.id;
    const refs = await processInbound(s.tx, deps, {
      event: {
        channel: "telegram",
        chat: { platformChatId: String(chatId), kind: ctx.chat?.type === "private" || !ctx.chat ? "private" : "group" },
        input: { type: "choice", choiceId: ctx.callbackQuery.data ?? "" },
      },
      sourceUpdateId: s.inboxId,
      leadingCalls: [{ method: "answerCallbackQuery", payload: { callback_query_id: ctx.callbackQuery.id } }],
    });
    s.refs.push(...refs);
  }));
  return composer;
}

export interface TelegramBotOptions {
  token: string;
  apiRoot: string;
  deps: InboundDeps;
  officer: OfficerDeps;
  log: Logger;
}

/**
 * The Telegram adapter: a grammY Bot fed from the inbox with `handleUpdate`, one composer per
 * concern. Replies never go out from here directly: the core records them in the outbox.
 */
export class TelegramBot {
  readonly bot: Bot;
  private initialised = false;

  constructor(private readonly opts: TelegramBotOptions) {
    this.bot = new Bot(opts.token, { client: { apiRoot: opts.apiRoot, timeoutSeconds: 30 }, botInfo: placeholderBotInfo(opts.token) });
    this.bot.use(lifecycleComposer());
    this.bot.use(officerComposer(opts.officer));
    this.bot.use(residentComposer(opts.deps));
    this.bot.use(fallbackComposer(opts.deps));
  }

  /** Fetches the bot's own profile (getMe); keeps a placeholder when Telegram cannot be reached. */
  async init(): Promise<UserFromGetMe | undefined> {
    try {
      const me = await this.bot.api.getMe();
      this.bot.botInfo = me;
      this.initialised = true;
      return me;
    } catch (err) {
      this.opts.log.warn({ err }, "telegram getMe failed; commands addressed to @username will not match until it succeeds");
      return undefined;
    }
  }

  /**
   * Registers the command menus (setMyCommands): residents' commands for every private chat and
   * officers' and staff commands for every group, in Vietnamese (the default, for any language
   * without its own list) and in each other language we serve, chosen by the user's Telegram
   * language. Skipped when Telegram could not be reached at start; failures are logged, not fatal
   * (the commands work without a menu).
   */
  async registerCommandMenus(t: Translate): Promise<void> {
    if (!this.initialised) return; // Telegram could not be reached (getMe failed): not worth waiting again
    const menus = [
      { scope: { type: "all_private_chats" as const }, commands: PRIVATE_COMMANDS },
      { scope: { type: "all_group_chats" as const }, commands: GROUP_COMMANDS },
    ];
    try {
      for (const { scope, commands } of menus) {
        for (const lang of LOCALES) {
          const list = commands.map((c) => ({ command: c.command, description: t(lang, c.descriptionKey).slice(0, 256) }));
          await this.bot.api.setMyCommands(list, { scope, ...(lang === DEFAULT_LOCALE ? {} : { language_code: lang }) });
        }
      }
    } catch (err) {
      this.opts.log.warn({ err }, "telegram setMyCommands failed; the command menus are not registered");
    }
  }

  get ready(): boolean {
    return this.initialised;
  }

  /** Runs one stored update through the middleware inside `tx`; returns the outbox rows it created. */
  async process(tx: Tx, inboxId: number, update: Update): Promise<OutboxRef[]> {
    const s: UpdateScope = { tx, inboxId, refs: [] };
    scopes.set(update, s);
    try {
      await this.bot.handleUpdate(update);
    } finally {
      scopes.delete(update);
    }
    return s.refs;
  }
}

function placeholderBotInfo(token: string): UserFromGetMe {
  const id = Number(token.split(":")[0]) || 0;
  return {
    id,
    is_bot: true,
    first_name: "Tai Mắt",
    username: "taimat_bot",
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  } as UserFromGetMe;
}
