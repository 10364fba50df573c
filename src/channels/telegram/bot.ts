import { AsyncLocalStorage } from "node:async_hooks";
import { Bot, Composer, type Context } from "grammy";
import type { UserFromGetMe, Update } from "grammy/types";
import type { Tx } from "../../db/client.ts";
import type { InboundInput } from "../../core/inbound.ts";
import { processInbound, type InboundDeps } from "../../core/processInbound.ts";
import type { Logger } from "../../logger.ts";
import type { OutboundCall, OutboxRef } from "../../outbox/outbound.ts";

/** The transaction an update is processed in, and the outbox rows its processing created. */
interface UpdateScope {
  tx: Tx;
  inboxId: number;
  refs: OutboxRef[];
}

const scopes = new AsyncLocalStorage<UpdateScope>();

function scope(): UpdateScope {
  const s = scopes.getStore();
  if (!s) throw new Error("Telegram update handled outside the inbox worker");
  return s;
}

/** Resident conversation in private chats: every update becomes a channel-neutral event for the core. */
function residentComposer(deps: InboundDeps): Composer<Context> {
  const composer = new Composer<Context>();
  const pm = composer.chatType("private");
  const dispatch = async (ctx: Context, input: InboundInput, leadingCalls: OutboundCall[] = []) => {
    const s = scope();
    const refs = await processInbound(s.tx, deps, {
      event: { channel: "telegram", chat: { platformChatId: String(ctx.chat!.id), kind: "private" }, input },
      sourceUpdateId: s.inboxId,
      leadingCalls,
    });
    s.refs.push(...refs);
  };

  pm.on("callback_query:data", (ctx) =>
    dispatch(ctx, { type: "choice", choiceId: ctx.callbackQuery.data }, [
      { method: "answerCallbackQuery", payload: { callback_query_id: ctx.callbackQuery.id } },
    ]),
  );
  pm.on("message:text", (ctx) => {
    const command = /^\/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+([\s\S]*))?$/.exec(ctx.message.text);
    if (!command) return dispatch(ctx, { type: "text", text: ctx.message.text });
    const name = command[1]!.toLowerCase();
    return dispatch(ctx, name === "start" ? { type: "start" } : { type: "command", command: name, args: command[2] ?? "" });
  });
  pm.on("message:location", (ctx) =>
    dispatch(ctx, { type: "location", latitude: ctx.message.location.latitude, longitude: ctx.message.location.longitude }),
  );
  pm.on("message:contact", (ctx) => dispatch(ctx, { type: "contact", phone: ctx.message.contact.phone_number }));
  pm.on("message:photo", (ctx) =>
    dispatch(ctx, { type: "media", kind: "photo", ref: ctx.message.photo.at(-1)!.file_id, caption: ctx.message.caption }),
  );
  pm.on("message:video", (ctx) => dispatch(ctx, { type: "media", kind: "video", ref: ctx.message.video.file_id, caption: ctx.message.caption }));
  pm.on("message:voice", (ctx) => dispatch(ctx, { type: "media", kind: "voice", ref: ctx.message.voice.file_id }));
  pm.on("message:audio", (ctx) => dispatch(ctx, { type: "media", kind: "audio", ref: ctx.message.audio.file_id, caption: ctx.message.caption }));
  pm.on("message:document", (ctx) =>
    dispatch(ctx, { type: "media", kind: "document", ref: ctx.message.document.file_id, caption: ctx.message.caption }),
  );
  pm.on("message:sticker", (ctx) => dispatch(ctx, { type: "media", kind: "sticker", ref: ctx.message.sticker.file_id }));
  pm.on("message", (ctx) => dispatch(ctx, { type: "unsupported" }));
  return composer;
}

/** Chat lifecycle: a person blocking the bot, a group becoming a supergroup. */
function lifecycleComposer(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on("my_chat_member", async (ctx) => {
    const status = ctx.myChatMember.new_chat_member.status;
    const blocked = status === "kicked" || status === "left";
    await scope().tx.chat.updateMany({
      where: { channel: "telegram", platformChatId: String(ctx.chat.id) },
      data: { unreachableAt: blocked ? new Date() : null },
    });
  });
  composer.on("message:migrate_to_chat_id", async (ctx) => {
    const tx = scope().tx;
    const newId = String(ctx.message.migrate_to_chat_id);
    const clash = await tx.chat.findUnique({ where: { channel_platformChatId: { channel: "telegram", platformChatId: newId } } });
    if (!clash) {
      await tx.chat.updateMany({ where: { channel: "telegram", platformChatId: String(ctx.chat.id) }, data: { platformChatId: newId, kind: "group" } });
    }
  });
  return composer;
}

/** Mounted last: any button press nobody handled is still answered, or the client keeps spinning. */
function fallbackComposer(deps: InboundDeps): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on("callback_query", async (ctx) => {
    const s = scope();
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
  });
  return composer;
}

export interface TelegramBotOptions {
  token: string;
  apiRoot: string;
  deps: InboundDeps;
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

  get ready(): boolean {
    return this.initialised;
  }

  /** Runs one stored update through the middleware inside `tx`; returns the outbox rows it created. */
  async process(tx: Tx, inboxId: number, update: Update): Promise<OutboxRef[]> {
    const s: UpdateScope = { tx, inboxId, refs: [] };
    await scopes.run(s, () => this.bot.handleUpdate(update));
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
