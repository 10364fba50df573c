import type { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.ts";
import type { Db, Tx } from "../db/client.ts";
import type { Translate } from "../i18n.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { InboundDeps } from "../core/processInbound.ts";
import type { FileLoader } from "../core/files.ts";
import type { KnowledgeBase } from "../core/qa/knowledge.ts";
import type { PlaceFinder } from "../core/tips/places.ts";
import type { UpdateVerdict } from "../inbox/boundary.ts";
import type { InboxIngest } from "../inbox/ingest.ts";
import type { FetchUpdates } from "../inbox/polling.ts";
import { UnprocessableUpdate } from "../inbox/worker.ts";
import type { OutboxRef, ReplyRenderer } from "../outbox/outbound.ts";
import type { OutboxChannel } from "../outbox/sender.ts";
import type { Sealer } from "../security/sealing.ts";

/**
 * A stored update's way into the core: `parse` reads the stored body (a body that no longer fits —
 * stored by an older version — is undefined: marked done, unhandled), `handle` runs it in the
 * inbox worker's transaction and returns the outbox rows it created. Zalo and the web chat parse
 * to the core's `InboundEvent`; Telegram parses to a checked update that its grammY composers
 * turn into the core's events and officer actions.
 */
export interface ChannelInbound<T> {
  parse(body: unknown): T | undefined;
  handle(tx: Tx, parsed: T, inboxId: number): Promise<OutboxRef[]>;
}

/** A platform's webhook: where it posts, the header carrying the secret, and telling it our URL. */
export interface ChannelWebhook {
  path: string;
  /** Lower-case header carrying the secret. */
  secretHeader: string;
  /** The expected secret; undefined when the channel is not configured (the route answers 503). */
  secret?: string;
  /** Registers `url` with the platform (setWebhook); absent when the channel is not configured. */
  register?(url: string): Promise<void>;
}

/** Development without a public URL: long polling (checked by `receive`, stored through the same inbox). */
export interface ChannelPoller {
  /** Removes the webhook (the two modes exclude each other) and returns the fetch loop's step. */
  open(): Promise<FetchUpdates>;
}

/**
 * One channel (Telegram, Zalo, the web chat): every part it has, under one name. The application
 * runs what each channel has and never asks which channel it is:
 * - `receive`: the boundary check of a platform body (webhook or poll) → the update to store, or a refusal;
 * - `inbound`: a stored update → the core (see ChannelInbound);
 * - `renderer`: the core's replies drawn as this channel's calls;
 * - `delivery`: the sender and the platform's limits (a limiter) for the outbox;
 * - `webhook`, `poller`: how the platform's updates arrive;
 * - `routes`: HTTP routes of its own (the web chat's page and API, which store input through the ingest);
 * - `start`, `housekeeping`, `stop`: its part of the service's life cycle.
 * A part a channel cannot run here (no token configured) is absent; an unconfigured platform keeps
 * its webhook route, answering 503.
 */
export interface Channel {
  readonly name: string;
  /** Officers and staff work in this channel's groups: its renderer draws their cards. */
  readonly officers?: boolean;
  receive?(raw: string, body: unknown): UpdateVerdict;
  readonly inbound?: ChannelInbound<unknown>;
  readonly renderer?: ReplyRenderer;
  readonly delivery?: OutboxChannel;
  readonly webhook?: ChannelWebhook;
  readonly poller?: ChannelPoller;
  /** Its files, fetched for the console (absent when the channel cannot reach its platform). */
  readonly media?: ChannelMedia;
  routes?(http: FastifyInstance, ingest: InboxIngest): void;
  start?(): Promise<void>;
  housekeeping?(now: Date): Promise<void>;
}

/** A file a channel holds, opened for streaming: its bytes and what the platform says it is (not trusted). */
export interface MediaFile {
  stream: Readable;
  /** The type the platform declared, if any (the console sniffs the bytes itself). */
  declaredType?: string;
}

/** Why a channel would not fetch a file: see `MediaUnavailable`. */
export type MediaRefusal = "scheme" | "host" | "address" | "redirect" | "too_big" | "too_slow";

/**
 * A file a channel refuses to fetch or to keep reading: its address is not on the platform's file
 * hosts (`host`, `scheme`), resolves to a private, loopback, link-local or metadata address
 * (`address`), redirects elsewhere (`redirect`), is larger than MEDIA_MAX_BYTES (`too_big`) or
 * slower than MEDIA_FETCH_TIMEOUT_SECONDS (`too_slow`). The console answers "file unavailable";
 * the message carries only the reason, never the address.
 */
export class MediaUnavailable extends Error {
  constructor(readonly reason: MediaRefusal) {
    super(`media unavailable: ${reason}`);
    this.name = "MediaUnavailable";
  }
}

/**
 * The files a channel holds (a tip attachment's `ref`: a Telegram file id, a Zalo file URL, a web
 * upload's `upload:<id>`), fetched server-side so that the platform's file URL and token never
 * leave the service (the console streams them to the browser).
 */
export interface ChannelMedia {
  /** Whether `ref` names a file of this channel. */
  holds(ref: string): boolean;
  /**
   * The file, or null when the platform no longer has it (errors never carry a token or a platform
   * URL). Throws `MediaUnavailable` for a file it refuses; its stream errors with `MediaUnavailable`
   * past the size cap or the time limit.
   */
  open(ref: string): Promise<MediaFile | null>;
}

/** What a channel is built from: the configuration and the services shared by every channel. */
export interface ChannelContext {
  config: Config;
  db: Db;
  log: Logger;
  t: Translate;
  metrics: Metrics;
  sealer: Sealer;
  knowledge: KnowledgeBase;
  /** Commune routing: shared locations and typed place names. */
  places: PlaceFinder;
  /** The core's services for a conversation drawn by `renderer` (read when an update is handled). */
  inboundDeps(renderer: ReplyRenderer): InboundDeps;
  /** Every channel's renderer by name (complete once every channel is built), to reach tipsters anywhere. */
  renderers: Record<string, ReplyRenderer>;
  /** Files the service makes (a report's chart), loaded by reference when a message carrying one is sent. */
  files?: FileLoader;
  /**
   * Opens a file held by whichever channel holds it (ChannelRegistry.openMedia), so a sender can
   * upload another platform's file (a Zalo photo under a Telegram card) instead of naming its address.
   */
  openMedia?: (ref: string) => Promise<MediaFile | null>;
  /** Tests only: how Zalo's file fetcher resolves and reaches hosts (a local TLS server stands in for Zalo's CDN). */
  zaloMediaSeams?: MediaFetchSeams;
}

/** Tests only: how a file fetcher (channels/mediaFetch.ts) resolves names and reaches hosts, instead of the system's DNS and the address itself. */
export interface MediaFetchSeams {
  /** Name resolution; default the system's. */
  lookup?: (host: string) => Promise<Array<{ address: string; family: number }>>;
  /** Tests only: where a checked address is reached (a local TLS server) instead of the address itself. */
  dial?: (address: string, port: number) => { host: string; port: number };
  /** Tests only: the certificate authority the test server's certificate is signed by. */
  ca?: string | Buffer;
}

/** Builds one channel from the shared context. */
export type ChannelFactory = (ctx: ChannelContext) => Channel;

/**
 * The channels that run, by name. An update stored under a name no channel has is refused
 * (`UnknownChannelError`: parked at once, never retried); one of a channel that cannot process
 * here (not configured) fails and is retried, then parked, as any failing update.
 */
export class ChannelRegistry {
  private readonly byName = new Map<string, Channel>();

  constructor(readonly all: readonly Channel[]) {
    for (const c of all) {
      if (this.byName.has(c.name)) throw new Error(`two channels named ${c.name}`);
      this.byName.set(c.name, c);
    }
  }

  get(name: string): Channel | undefined {
    return this.byName.get(name);
  }

  /** The channel officers work in, when it is configured. */
  get officers(): Channel | undefined {
    return this.all.find((c) => c.officers && c.renderer);
  }

  /** Every channel's renderer, by name. */
  renderers(): Record<string, ReplyRenderer> {
    return Object.fromEntries(this.all.flatMap((c) => (c.renderer ? [[c.name, c.renderer] as const] : [])));
  }

  /** Opens an attachment through the channel that holds it; null when no channel here holds or still has it. */
  async openMedia(ref: string): Promise<MediaFile | null> {
    const holder = this.all.find((c) => c.media?.holds(ref));
    return holder ? holder.media!.open(ref) : null;
  }

  /** Every channel the outbox can deliver to, by name. */
  delivery(): Record<string, OutboxChannel> {
    return Object.fromEntries(this.all.flatMap((c) => (c.delivery ? [[c.name, c.delivery] as const] : [])));
  }

  /**
   * Runs one stored update of channel `name` through its channel, inside `tx`; returns the outbox
   * rows created. A body the channel no longer reads is logged and handled as nothing.
   */
  async process(tx: Tx, row: { id: number; channel: string; payload: string }, log: Logger): Promise<OutboxRef[]> {
    const channel = this.byName.get(row.channel);
    if (!channel) throw new UnknownChannelError(row.channel);
    if (!channel.inbound) throw new Error(`${row.channel} update stored but the ${row.channel} channel is not configured here (no token)`);
    const parsed = channel.inbound.parse(JSON.parse(row.payload) as unknown);
    if (parsed === undefined) {
      log.warn({ channel: row.channel, inboxId: row.id }, "stored update does not fit the channel's schema; marked done unhandled");
      return [];
    }
    return channel.inbound.handle(tx, parsed, row.id);
  }
}

/** A stored update names no channel this service has: it is parked at once (no retry can help). */
export class UnknownChannelError extends UnprocessableUpdate {
  constructor(readonly channel: string) {
    super(`no channel named "${channel}" in this service`);
  }
}
