import crypto from "node:crypto";
import os from "node:os";
import type { Db } from "../db/client.ts";
import { providerOf } from "../db/client.ts";
import type { InboxRef } from "../inbox/ingest.ts";
import type { Logger } from "../logger.ts";
import { LocalBus, PgBus, type Bus } from "./bus.ts";
import { chatLeaseName, dropLeases, expireLeasesOf, orphanUpdates, pendingOfChat, releaseChatLease, renewLeases, takeChatLease, takeLease } from "./leases.ts";

/** The leader's lease: schedulers (campaign engine, housekeeping, retention, reports) run on its holder only. */
export const LEADER = "leader";
/** A platform's sender lease: its holder alone drains that channel's outbox, at the platform's pace. */
export const senderRole = (channel: string) => `sender:${channel}`;

/** A pending update is taken from a live instance that stored it only after this long (it is taking it itself). */
const ORPHAN_AGE_MS = 2_000;
/** Orphaned updates read per sweep. */
const ORPHAN_BATCH = 2_000;

export interface ClusterOptions {
  db: Db;
  databaseUrl: string;
  log: Logger;
  /** This instance's configured name; the holder id adds a random suffix (a restarted instance never inherits leases). */
  instanceId: string;
  leaseMs: number;
  heartbeatMs: number;
}

/** A role this instance competes for: whether it holds it, until when it may act on it, and the timer giving it up then. */
interface RoleState {
  held: boolean;
  epoch?: number;
  until: number;
  lapse?: NodeJS.Timeout;
}

/** Told when this instance gains or loses a role (`leader`, `sender:<channel>`). */
export type RoleListener = (role: string, held: boolean) => void;

/**
 * Per-chat mutual exclusion for the inbox worker (several instances): an instance processes a
 * chat's updates only while it holds the chat's lease, taking all the chat's pending updates in
 * order when it takes the lease, and giving the lease up only when none is left.
 */
export interface ChatClaims {
  /** Whether this instance holds the chat now (as far as it knows: the heartbeat notices a loss). */
  holds(channel: string, chatKey: string): boolean;
  /** Takes the chat: its pending updates in order, or undefined when another live instance holds it (that one will process them). */
  acquire(channel: string, chatKey: string): Promise<InboxRef[] | undefined>;
  /** The chat's pending updates in order (stored by any instance), read again before each one is processed. */
  pending(channel: string, chatKey: string): Promise<InboxRef[]>;
  /** Gives the chat up unless updates arrived meanwhile: [] when released, else those updates (still held). */
  release(channel: string, chatKey: string): Promise<InboxRef[]>;
  /** Pending updates of chats nobody holds (a dead instance's, or a busy one's backlog), stored at least `olderThanMs` ago (default 2 s). */
  orphans(olderThanMs?: number): Promise<InboxRef[]>;
}

/**
 * This instance's place among the instances sharing one database. On SQLite (one instance per
 * file, see db/instanceLock.ts) it holds every role and the bus is in-process. On PostgreSQL it
 * competes for leases in the `Lease` table: every `heartbeatMs` it renews what it holds and tries
 * to take the free roles; a lease lasts `leaseMs`, so a dead instance's roles and chats are taken
 * over within `leaseMs + heartbeatMs`.
 */
export class Cluster {
  /** This process's lease holder id: `<instanceId>|<host>|<pid>|<random>`. */
  readonly holder: string;
  readonly bus: Bus;
  /** Several instances may run (PostgreSQL). */
  readonly shared: boolean;
  /** Chat leases for the inbox worker; undefined on SQLite. */
  readonly chats?: ChatClaims;
  private readonly roles = new Map<string, RoleState>();
  private readonly listeners = new Set<RoleListener>();
  /** Chats held: since when (local clock), and until when this instance may act on the lease (see `validUntil`). */
  private readonly heldChats = new Map<string, { since: number; until: number }>();
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private stopped = false;

  constructor(private readonly opts: ClusterOptions) {
    this.holder = [opts.instanceId, os.hostname(), process.pid, crypto.randomBytes(4).toString("hex")].join("|");
    this.shared = providerOf(opts.databaseUrl) === "postgresql";
    this.bus = this.shared ? new PgBus(this.holder, { url: opts.databaseUrl, db: opts.db, log: opts.log }) : new LocalBus(this.holder, opts.log, opts.db);
    if (this.shared) this.chats = this.chatClaims();
  }

  /** Adds roles to compete for (before `start()`); on SQLite they are held at once. */
  want(...roles: string[]): void {
    for (const role of roles) if (!this.roles.has(role)) this.roles.set(role, { held: false, until: 0 });
  }

  /** Calls `listener` whenever a role is gained or lost (also for the roles gained at `start()`). */
  onRole(listener: RoleListener): void {
    this.listeners.add(listener);
  }

  /**
   * Whether this instance holds `role` now: taken, and renewed recently enough that no other
   * instance can have it (a heartbeat held up, e.g. by an overloaded machine, must not leave two
   * instances acting on one role: the role is given up locally before the lease can lapse).
   */
  has(role: string): boolean {
    const r = this.roles.get(role);
    return r !== undefined && r.held && Date.now() < r.until;
  }

  /** The roles this instance holds now. */
  held(): string[] {
    return [...this.roles.keys()].filter((name) => this.has(name));
  }

  /**
   * Until when (local clock) a lease renewed by a statement sent at `askedAt` may be acted on: the
   * database counts the lease from when it ran the statement (later), so this ends before the lease
   * does, by a heartbeat's worth of margin for calls already under way.
   */
  private validUntil(askedAt: number): number {
    return askedAt + this.opts.leaseMs - this.opts.heartbeatMs;
  }

  /** Opens the bus and takes the roles it can (on SQLite: all of them), then keeps them with the heartbeat. */
  async start(): Promise<void> {
    if (!this.shared) {
      for (const [role, r] of this.roles) {
        r.until = Infinity;
        this.set(role, true);
      }
      return;
    }
    await (this.bus as PgBus).start();
    await this.beat();
    this.timer = setInterval(() => {
      if (this.beating) return;
      this.beating = this.beat()
        .catch((err: unknown) => this.opts.log.error({ err }, "cluster heartbeat failed"))
        .finally(() => (this.beating = undefined));
    }, this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Stops the heartbeat and gives up every lease (other instances take over at their next heartbeat). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const r of this.roles.values()) if (r.lapse) clearTimeout(r.lapse);
    await this.beating;
    if (this.shared) {
      for (const role of this.roles.keys()) this.set(role, false);
      await dropLeases(this.opts.db, this.holder).catch((err: unknown) => this.opts.log.warn({ err }, "could not release leases at stop"));
    }
    await this.bus.close();
  }

  private set(role: string, held: boolean, epoch?: number): void {
    const r = this.roles.get(role)!;
    if (r.held === held) return;
    r.held = held;
    r.epoch = epoch;
    this.opts.log.info({ role, holder: this.holder, epoch }, held ? "cluster: role taken" : "cluster: role lost");
    for (const listener of this.listeners) {
      try {
        listener(role, held);
      } catch (err) {
        this.opts.log.error({ err, role }, "cluster role listener failed");
      }
    }
  }

  /** One heartbeat: renew or take each role, then renew the chats held (dropping those another instance took). */
  private async beat(): Promise<void> {
    const { db, leaseMs } = this.opts;
    await this.expireDeadNeighbours();
    for (const role of this.roles.keys()) {
      if (this.stopped) return;
      try {
        const askedAt = Date.now();
        const epoch = await takeLease(db, role, this.holder, leaseMs);
        if (epoch !== undefined) this.keep(role, askedAt, epoch);
        else this.set(role, false);
      } catch (err) {
        // The database is unreachable: the lease will lapse, so stop acting on it now.
        this.set(role, false);
        throw err;
      }
    }
    if (this.heldChats.size) {
      const startedAt = Date.now();
      const still = await renewLeases(db, this.holder, "chat:", leaseMs);
      for (const [name, held] of this.heldChats) {
        if (still.has(name)) held.until = Math.max(held.until, this.validUntil(startedAt));
        else if (held.since < startedAt) this.heldChats.delete(name);
      }
    }
  }

  /** A role taken or renewed by a statement sent at `askedAt`: held until `validUntil`, unless renewed again before. */
  private keep(role: string, askedAt: number, epoch: number): void {
    const r = this.roles.get(role)!;
    r.until = this.validUntil(askedAt);
    if (r.lapse) clearTimeout(r.lapse);
    r.lapse = setTimeout(() => {
      r.lapse = undefined;
      if (Date.now() >= r.until && r.held) {
        this.opts.log.warn({ role, holder: this.holder }, "cluster: lease not renewed in time; role given up");
        this.set(role, false);
      }
    }, Math.max(0, r.until - Date.now()));
    r.lapse.unref();
    this.set(role, true, epoch);
  }

  /**
   * Leases held by a process on this machine that no longer exists (killed, crashed) are expired at
   * once instead of after CLUSTER_LEASE_SECONDS: a restarted instance resumes its work without
   * waiting. Instances on other machines are taken over when their leases expire.
   */
  private async expireDeadNeighbours(): Promise<void> {
    const host = os.hostname();
    const rows = await this.opts.db.$queryRawUnsafe<Array<{ holder: string }>>(`SELECT DISTINCT "holder" FROM "Lease" WHERE "holder" LIKE $1`, `%|${host}|%`);
    for (const { holder } of rows) {
      const parts = holder.split("|");
      const pid = Number(parts.at(-2));
      if (holder === this.holder || parts.at(-3) !== host || !Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
      const n = await expireLeasesOf(this.opts.db, holder);
      if (n) this.opts.log.warn({ holder, leases: n }, "cluster: leases of a dead instance on this machine expired");
    }
  }

  private chatClaims(): ChatClaims {
    const { db, leaseMs } = this.opts;
    return {
      holds: (channel, chatKey) => (this.heldChats.get(chatLeaseName(channel, chatKey))?.until ?? 0) > Date.now(),
      acquire: async (channel, chatKey) => {
        const name = chatLeaseName(channel, chatKey);
        const askedAt = Date.now();
        const rows = await takeChatLease(db, this.holder, channel, chatKey, leaseMs);
        if (rows === undefined) {
          this.heldChats.delete(name);
          return undefined;
        }
        this.heldChats.set(name, { since: askedAt, until: this.validUntil(askedAt) });
        return rows;
      },
      release: async (channel, chatKey) => {
        const name = chatLeaseName(channel, chatKey);
        if (!this.heldChats.has(name)) return [];
        if (await releaseChatLease(db, this.holder, channel, chatKey)) {
          this.heldChats.delete(name);
          return [];
        }
        // Updates arrived meanwhile — or the lease lapsed and another instance took it: then it has them.
        const askedAt = Date.now();
        if ((await takeLease(db, name, this.holder, leaseMs)) === undefined) {
          this.heldChats.delete(name);
          return [];
        }
        this.heldChats.set(name, { since: this.heldChats.get(name)?.since ?? askedAt, until: this.validUntil(askedAt) });
        for (;;) {
          const rows = await pendingOfChat(db, channel, chatKey);
          if (rows.length) return rows;
          // Processed meanwhile (e.g. parked): try again to give the chat up.
          if (await releaseChatLease(db, this.holder, channel, chatKey)) {
            this.heldChats.delete(name);
            return [];
          }
        }
      },
      pending: (channel, chatKey) => pendingOfChat(db, channel, chatKey),
      orphans: (olderThanMs = ORPHAN_AGE_MS) => orphanUpdates(db, olderThanMs, ORPHAN_BATCH),
    };
  }
}

/** Whether a process with this id runs on this machine. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
