import type { Db } from "../../db/client.ts";
import type { Logger } from "../../logger.ts";
import type { Metrics } from "../../metrics.ts";

/** The stored total is re-read from the database at least this often (other instances, housekeeping). */
const REFRESH_MS = 60_000;
/** Uploads looked at per step of the clean-up. */
const PAGE = 200;

/**
 * The web chat's quota on stored photos (total bytes of the Upload table). When a new photo would
 * go over it, the oldest photos nothing refers to any more — no tip attachment, no draft in
 * progress, no update still waiting to be processed — are deleted first, oldest first, until it
 * fits; a photo attached to a tip (a police record) or to a draft is never deleted for room. When
 * even that is not enough, the upload is refused. The stored total is exported as
 * `taimat_web_upload_bytes`, deletions as `taimat_web_uploads_deleted_total{reason="quota"}`.
 */
export class UploadStorage {
  private total: number | undefined;
  private refreshedAt = 0;
  /** One clean-up at a time (concurrent uploads would each delete for the same room). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: { db: Db; quotaBytes: number; metrics: Metrics; log: Logger }) {}

  /** Re-reads the stored total from the database (at start and after housekeeping). */
  async refresh(): Promise<number> {
    const sum = await this.opts.db.upload.aggregate({ _sum: { size: true } });
    this.set(sum._sum.size ?? 0);
    this.refreshedAt = Date.now();
    return this.total!;
  }

  /** Bytes stored, as last known. */
  get bytes(): number {
    return this.total ?? 0;
  }

  /** Records a stored photo of `bytes`. */
  added(bytes: number): void {
    this.set((this.total ?? 0) + bytes);
  }

  /** True when a photo of `bytes` fits under the quota, after deleting old unreferenced photos if needed. */
  makeRoom(bytes: number): Promise<boolean> {
    const run = this.chain.then(() => this.makeRoomNow(bytes));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async makeRoomNow(bytes: number): Promise<boolean> {
    const quota = this.opts.quotaBytes;
    if (this.total === undefined || Date.now() - this.refreshedAt > REFRESH_MS) await this.refresh();
    if (this.total! + bytes <= quota) return true;
    await this.refresh(); // the cached figure may be stale (housekeeping, other instances)
    if (this.total! + bytes <= quota) return true;
    if (bytes > quota) return false;

    const { db, metrics, log } = this.opts;
    const referenced = new Set<string>();
    const collect = (text: string) => {
      for (const m of text.matchAll(/upload:([A-Za-z0-9_-]+)/g)) referenced.add(m[1]!);
    };
    for (const d of await db.tipDraft.findMany({ where: { data: { contains: "upload:" } }, select: { data: true } })) collect(d.data);
    for (const u of await db.inboxUpdate.findMany({ where: { channel: "web", status: "pending", payload: { contains: "upload:" } }, select: { payload: true } })) {
      collect(u.payload);
    }
    let deleted = 0;
    let freed = 0;
    let cursor: { createdAt: Date; id: string } | undefined;
    while (this.total! + bytes > quota) {
      const page = await db.upload.findMany({
        where: cursor ? { OR: [{ createdAt: { gt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { gt: cursor.id } }] } : {},
        select: { id: true, size: true, createdAt: true },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: PAGE,
      });
      if (page.length === 0) break;
      cursor = page[page.length - 1]!;
      const attached = await db.tipAttachment.findMany({ where: { ref: { in: page.map((u) => `upload:${u.id}`) } }, select: { ref: true } });
      for (const a of attached) referenced.add(a.ref.slice("upload:".length));
      const drop: string[] = [];
      let dropBytes = 0;
      for (const u of page) {
        if (referenced.has(u.id)) continue;
        if (this.total! - dropBytes + bytes <= quota) break;
        drop.push(u.id);
        dropBytes += u.size;
      }
      if (drop.length === 0) continue;
      const gone = await db.upload.deleteMany({ where: { id: { in: drop } } });
      deleted += gone.count;
      freed += dropBytes;
      this.set(this.total! - dropBytes);
    }
    if (deleted) {
      metrics.webUploadsDeleted.inc({ reason: "quota" }, deleted);
      log.warn({ deleted, freedBytes: freed, storedBytes: this.total, quotaBytes: quota }, "web chat: upload quota reached; oldest unreferenced photos deleted");
    }
    await this.refresh();
    const fits = this.total! + bytes <= quota;
    if (!fits) log.error({ storedBytes: this.total, quotaBytes: quota }, "web chat: upload quota full of photos still in use; new photos are refused");
    return fits;
  }

  private set(total: number): void {
    this.total = Math.max(0, total);
    this.opts.metrics.webUploadBytes.set(this.total);
  }
}
