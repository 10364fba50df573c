import { Composer, Context, type ChatTypeContext, type CommandContext, type Filter, type FilterQuery, type MiddlewareFn, type NextFunction } from "grammy";
import type { Chat } from "grammy/types";

/*
 * grammY's `composer.on(…)`, `.chatType(…)` and `.command(…)`, decided at once. grammY builds them
 * on `filter` → `branch` → `lazy`, which makes a new Composer (and its chain of closures) for every
 * update at every layer it passes: with the adapter's dozen layers, a tenth of everything that
 * processing an update allocates (measured with the capacity bench's allocation samples). These take
 * the same predicates (grammY's `Context.has`) and run the handler, or go on, without building
 * anything per update.
 */

type Handler<C extends Context> = (ctx: C, next: NextFunction) => unknown;

/** `composer.on(query, handler)`. */
export function on<C extends Context, Q extends FilterQuery>(query: Q, handler: Handler<Filter<C, Q>>): MiddlewareFn<C> {
  const has = Context.has.filterQuery(query);
  return (ctx, next) => (has(ctx) ? handler(ctx as Filter<C, Q>, next) : next());
}

/** `composer.command(name, handler)` (sets `ctx.match` to what follows the command, as grammY does). */
export function command<C extends Context>(name: string, handler: Handler<CommandContext<C>>): MiddlewareFn<C> {
  const has = Context.has.command(name);
  return (ctx, next) => (has(ctx) ? handler(ctx as unknown as CommandContext<C>, next) : next());
}

/** `composer.chatType(type)`: the middleware of `chats` (its chain, built as it is added to) for updates from chats of that type. */
export function chatType<C extends Context, T extends Chat["type"]>(type: T | T[], chats: Composer<ChatTypeContext<C, T>>): MiddlewareFn<C> {
  const has = Context.has.chatType(type);
  return (ctx, next) => (has(ctx) ? chats.middleware()(ctx as ChatTypeContext<C, T>, next) : next());
}
