import type { Tx } from "../../db/client.ts";

/**
 * A chat's life cycle as a platform reports it: a person blocking the bot (or leaving), unblocking
 * it, a group becoming a supergroup under a new id. These are not anyone's business decision and
 * record no event: a log row naming a resident's chat, timed next to a tip's receipt, could link them.
 */

/** Marks a chat unreachable (the bot was blocked, removed or left) or reachable again. */
export async function setChatReachable(tx: Tx, props: { channel: string; platformChatId: string; reachable: boolean; now?: Date }): Promise<void> {
  await tx.chat.updateMany({
    where: { channel: props.channel, platformChatId: props.platformChatId },
    data: { unreachableAt: props.reachable ? null : (props.now ?? new Date()) },
  });
}

/**
 * A group moved to a new platform id (Telegram: a group upgraded to a supergroup): the chat row
 * keeps its id (bindings, cards and prompts follow) and takes the new platform id, unless a chat
 * with that id already exists (then nothing changes).
 */
export async function migrateGroupChat(tx: Tx, props: { channel: string; fromPlatformChatId: string; toPlatformChatId: string }): Promise<boolean> {
  const clash = await tx.chat.findUnique({ where: { channel_platformChatId: { channel: props.channel, platformChatId: props.toPlatformChatId } } });
  if (clash) return false;
  const { count } = await tx.chat.updateMany({
    where: { channel: props.channel, platformChatId: props.fromPlatformChatId },
    data: { platformChatId: props.toPlatformChatId, kind: "group" },
  });
  return count > 0;
}
