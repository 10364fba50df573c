import { TelegramRenderer } from "../../src/channels/telegram/render.ts";
import type { Db, Tx } from "../../src/db/client.ts";
import { createTranslator } from "../../src/i18n.ts";
import type { Actor } from "../../src/core/events/recordEvent.ts";
import type { OutboxRef, ReplyRenderer } from "../../src/outbox/outbound.ts";
import type { OfficerInput } from "../../src/core/officers/officerRows.ts";
import { registerOfficer } from "../../src/core/officers/commands/registerOfficer.ts";
import { revokeOfficer } from "../../src/core/officers/commands/revokeOfficer.ts";
import { createOneTimeCode, type CodeRequest } from "../../src/core/officers/commands/createOneTimeCode.ts";
import { bindQueue } from "../../src/core/queues/commands/bindQueue.ts";

/** The administrator tests act as when they set things up (written "admin:test" in the log). */
export const TEST_ADMIN: Actor = { kind: "admin", name: "test" };

/** Registers an officer as the test administrator (fails the test when refused). */
export async function seedOfficer(tx: Tx, input: OfficerInput) {
  const result = await registerOfficer(tx, { actor: TEST_ADMIN, ...input });
  if (!result.ok) throw new Error(`registering ${input.telegramUserId} refused: ${result.reason}`);
  return result.officer;
}

/** Revokes an officer as the test administrator. */
export async function revokeAsAdmin(tx: Tx, props: { telegramUserId: string }) {
  const result = await revokeOfficer(tx, { actor: TEST_ADMIN, ...props });
  if (!result.ok) throw new Error(`revoking ${props.telegramUserId} refused: ${result.reason}`);
  return result.officer;
}

/** Binds a queue to a group as the test administrator; returns the messages it queued. */
export async function seedBinding(tx: Tx, renderer: ReplyRenderer, props: { queueId: string; groupChatId: string }): Promise<OutboxRef[]> {
  const result = await bindQueue(tx, renderer, { actor: TEST_ADMIN, ...props });
  if (!result.ok) throw new Error(`binding ${props.queueId} refused: ${result.reason}`);
  return result.refs;
}

/** A Telegram group (with its language, if given) registered and bound to queue `queueId` as the test administrator; returns its chat. */
export async function bindGroup(db: Db, queueId: string, platformChatId: number, locale?: string) {
  return db.$transaction(async (tx) => {
    const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(platformChatId), kind: "group", ...(locale ? { locale } : {}) } });
    await seedBinding(tx, new TelegramRenderer(createTranslator().t), { queueId, groupChatId: chat.id });
    return chat;
  });
}

/** The commune desk most journeys use: commune 00004's queue bound to the Telegram group `group`, and `officer` an officer of that commune. */
export async function seedCommuneDesk(db: Db, props: { group: number; officer: number }) {
  await bindGroup(db, "commune:00004", props.group);
  await db.$transaction((tx) => seedOfficer(tx, { telegramUserId: String(props.officer), role: "officer", scopeKind: "commune", scopeCode: "00004", displayName: "Cán bộ Trực" }));
}

/** A one-time code made by the test administrator. */
export async function makeCode(db: Db, request: CodeRequest): Promise<string> {
  const result = await db.$transaction((tx) => createOneTimeCode(tx, { actor: TEST_ADMIN, ...request }));
  if (!result.ok) throw new Error(`code refused: ${result.reason}`);
  return result.code;
}
