import type { Db, Tx } from "../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../outbox/outbound.ts";
import { LEGAL_QUEUE_ID, postQuestionCard } from "../qa/legalOps.ts";
import { groupFor, postCard } from "./cards.ts";

/** What waits because no bound group can show it: open tips, info-only copies, open legal questions. */
export interface WaitingItems {
  /** Open tips with no working card in any group. */
  tips: Array<{ id: string; queueId: string }>;
  /** Info-only copies of open tips not shown in their queue's group. */
  copies: Array<{ tipId: string; queueId: string }>;
  /** Open legal questions not shown to the legal staff. */
  questions: Array<{ id: string }>;
}

/** Waiting items of one queue, for `queue:unbound`. */
export interface WaitingQueue {
  queueId: string;
  name: string;
  tips: number;
  copies: number;
  questions: number;
}

/** An open tip with no working card in any group. */
const WAITING_TIP = { status: { not: "closed" }, cards: { none: { kind: "main", active: true } } } as const;
/** An open legal question not shown to the legal staff. */
const WAITING_QUESTION = { status: "open", cardOutboxId: null } as const;

/** Info-only copies of open tips not shown in their queue's group. */
async function waitingCopies(tx: Tx | Db): Promise<Array<{ tipId: string; queueId: string }>> {
  const copyRows = await tx.tipCopy.findMany({
    where: { tip: { status: { not: "closed" } } },
    select: { tipId: true, queueId: true, tip: { select: { cards: { where: { kind: "info" }, select: { queueId: true } } } } },
    orderBy: { id: "asc" },
  });
  return copyRows.filter((c) => !c.tip.cards.some((card) => card.queueId === c.queueId)).map((c) => ({ tipId: c.tipId, queueId: c.queueId }));
}

/** Everything that no bound group shows yet. */
export async function findWaiting(tx: Tx | Db): Promise<WaitingItems> {
  const tips = await tx.tip.findMany({ where: WAITING_TIP, select: { id: true, queueId: true }, orderBy: { receivedAt: "asc" } });
  const copies = await waitingCopies(tx);
  const questions = await tx.legalQuestion.findMany({ where: WAITING_QUESTION, select: { id: true }, orderBy: { createdAt: "asc" } });
  return { tips, copies, questions };
}

/**
 * The waiting items counted per queue (tips by their handling queue), most waiting first. Tips are
 * counted by the database (grouped by queue), not read: with a large open backlog (the console's
 * bench: ~46,000 open tips of 1,000,000) reading each one every minute held SQLite's connection
 * for seconds.
 */
export async function waitingByQueue(db: Tx | Db): Promise<WaitingQueue[]> {
  const byQueue = new Map<string, WaitingQueue>();
  const row = (queueId: string) => {
    let r = byQueue.get(queueId);
    if (!r) byQueue.set(queueId, (r = { queueId, name: queueId, tips: 0, copies: 0, questions: 0 }));
    return r;
  };
  const tipCounts = await db.tip.groupBy({ by: ["queueId"], where: WAITING_TIP, _count: { _all: true } });
  for (const t of tipCounts) row(t.queueId).tips += t._count._all;
  for (const c of await waitingCopies(db)) row(c.queueId).copies += 1;
  const questions = await db.legalQuestion.count({ where: WAITING_QUESTION });
  if (questions) row(LEGAL_QUEUE_ID).questions = questions;
  const queues = await db.queue.findMany({ where: { id: { in: [...byQueue.keys()] } }, select: { id: true, name: true } });
  for (const q of queues) byQueue.get(q.id)!.name = q.name;
  return [...byQueue.values()].sort((a, b) => b.tips + b.copies + b.questions - (a.tips + a.copies + a.questions));
}

/**
 * Posts everything that waited for a reader and now has one (after a group was bound): each tip's
 * card where its queue now resolves, each info-only copy in its unit's group, each open legal
 * question in the legal staff's group.
 */
export async function postWaiting(tx: Tx, renderer: ReplyRenderer): Promise<OutboxRef[]> {
  const waiting = await findWaiting(tx);
  const refs: OutboxRef[] = [];
  for (const tip of waiting.tips) {
    if (await groupFor(tx, tip.queueId)) refs.push(...(await postCard(tx, renderer, tip.id, tip.queueId, "main")));
  }
  for (const copy of waiting.copies) {
    if (await groupFor(tx, copy.queueId)) refs.push(...(await postCard(tx, renderer, copy.tipId, copy.queueId, "info")));
  }
  if (waiting.questions.length && (await groupFor(tx, LEGAL_QUEUE_ID))) {
    for (const q of waiting.questions) refs.push(...(await postQuestionCard(tx, renderer, q.id)));
  }
  return refs;
}
