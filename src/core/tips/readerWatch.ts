import type { Db } from "../../db/client.ts";
import type { Logger } from "../../logger.ts";
import type { Metrics } from "../../metrics.ts";
import { waitingByQueue, type WaitingQueue } from "./waiting.ts";

/** What waits with no group to show it, as last checked. */
export interface ReaderSnapshot {
  checkedAt: number;
  tips: number;
  copies: number;
  questions: number;
  queues: WaitingQueue[];
}

/** How often an unchanged, non-zero count is logged again. */
const REPEAT_LOG_MS = 10 * 60_000;

/**
 * Watches for tips, info-only copies and legal questions that no bound group can show: keeps the
 * gauges `taimat_tips_without_group` and `taimat_waiting_without_group{kind}` current, logs an
 * error when anything waits (again on every change, and every 10 minutes while it lasts), and
 * tells `/healthz` why the service is degraded.
 */
export class ReaderWatch {
  private last: ReaderSnapshot | undefined;
  private lastLogged = { key: "0/0/0", at: 0 };
  private running: Promise<ReaderSnapshot> | undefined;

  constructor(
    private readonly db: Db,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** A snapshot younger than this is reused by `current()`. */
    private readonly maxAgeMs = 2_000,
  ) {}

  /** Counts what waits now, updates the gauges and logs. */
  check(): Promise<ReaderSnapshot> {
    this.running ??= this.count().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The latest snapshot, re-checked when older than `maxAgeMs`. */
  async current(): Promise<ReaderSnapshot> {
    if (this.last && Date.now() - this.last.checkedAt < this.maxAgeMs) return this.last;
    return this.check();
  }

  private async count(): Promise<ReaderSnapshot> {
    const queues = await waitingByQueue(this.db);
    const sum = (k: "tips" | "copies" | "questions") => queues.reduce((n, q) => n + q[k], 0);
    const snapshot: ReaderSnapshot = { checkedAt: Date.now(), tips: sum("tips"), copies: sum("copies"), questions: sum("questions"), queues };
    this.metrics.tipsWithoutGroup.set(snapshot.tips);
    this.metrics.waitingWithoutGroup.set({ kind: "tip" }, snapshot.tips);
    this.metrics.waitingWithoutGroup.set({ kind: "info_copy" }, snapshot.copies);
    this.metrics.waitingWithoutGroup.set({ kind: "legal_question" }, snapshot.questions);
    const key = `${snapshot.tips}/${snapshot.copies}/${snapshot.questions}`;
    const waiting = snapshot.tips + snapshot.copies + snapshot.questions > 0;
    if (waiting && (key !== this.lastLogged.key || snapshot.checkedAt - this.lastLogged.at >= REPEAT_LOG_MS)) {
      this.log.error(
        { tips: snapshot.tips, infoCopies: snapshot.copies, legalQuestions: snapshot.questions, queues: queues.slice(0, 20).map((q) => q.queueId) },
        "items wait with no officers' group bound to show them: bind a group (npm run admin -- queue:unbound)",
      );
      this.lastLogged = { key, at: snapshot.checkedAt };
    } else if (!waiting && this.lastLogged.key !== key) {
      this.log.info("every waiting item has reached a group");
      this.lastLogged = { key, at: snapshot.checkedAt };
    }
    this.last = snapshot;
    return snapshot;
  }
}

/** Why `/healthz` reports "degraded", or undefined when nothing waits. */
export function degradedReason(s: ReaderSnapshot): string | undefined {
  if (s.tips + s.copies + s.questions === 0) return undefined;
  return `${s.tips} tip(s), ${s.copies} info-only cop(ies) and ${s.questions} legal question(s) wait with no group bound to show them (npm run admin -- queue:unbound)`;
}
