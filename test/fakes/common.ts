import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";

/** Parsed request parameters, merged from the query string and the body. */
export type Params = Record<string, unknown>;

/** One request received by a fake API server, recorded once it has been answered. */
export interface FakeCall {
  /** API method name from the URL (the raw path segment when the method is unknown). */
  method: string;
  /** Parameters from the query string and body (JSON, urlencoded or multipart), JSON-looking strings decoded. */
  payload: Params;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** HTTP status sent; 0 when the socket was destroyed without an answer. */
  status: number;
  /** The JSON envelope sent; undefined when the socket was destroyed. */
  response: Record<string, unknown> | undefined;
}

/** A fake's answer to one request: HTTP status and JSON body, or `"network"` to destroy the socket. */
export type Reply = { status: number; body: Record<string, unknown> } | "network";

/** Answer of a fake's webhook push: the receiver's HTTP status and raw response body. */
export interface PushResult {
  status: number;
  body: string;
}

/**
 * Token bucket that refills continuously. Capacity and rate are passed on every use,
 * so limits changed at runtime apply at once.
 */
export class TokenBucket {
  private tokens = Number.POSITIVE_INFINITY;
  private last = 0;

  /** Milliseconds until one token is available (0 = available now); consumes nothing. */
  waitMs(capacity: number, perSecond: number, now = Date.now()): number {
    this.refill(capacity, perSecond, now);
    if (this.tokens >= 1) return 0;
    if (perSecond <= 0) return Number.POSITIVE_INFINITY;
    return ((1 - this.tokens) * 1000) / perSecond;
  }

  /** Consumes one token; call only after `waitMs` returned 0. */
  take(capacity: number, perSecond: number, now = Date.now()): void {
    this.refill(capacity, perSecond, now);
    this.tokens -= 1;
  }

  private refill(capacity: number, perSecond: number, now: number): void {
    const elapsed = this.last === 0 ? 0 : Math.max(0, now - this.last);
    this.tokens = Math.min(capacity, this.tokens + (elapsed * perSecond) / 1000);
    this.last = now;
  }
}

/** Reads a request body, destroying the request when it exceeds `maxBytes`. */
export function readBody(req: http.IncomingMessage, maxBytes = 60 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.destroy();
        reject(new Error(`request body over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Decodes form values the way Bot APIs do: JSON objects/arrays and booleans from their text. */
function decodeFormValue(value: string): unknown {
  if (value === "true") return true;
  if (value === "false") return false;
  const first = value.trimStart()[0];
  if (first === "{" || first === "[") {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

function parseMultipart(body: Buffer, boundary: string, into: Params): void {
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const partStart = start + delimiter.length;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) break;
    let part = body.subarray(partStart, next);
    if (part[0] === 0x0d && part[1] === 0x0a) part = part.subarray(2);
    if (part.at(-2) === 0x0d && part.at(-1) === 0x0a) part = part.subarray(0, part.length - 2);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString("utf8");
      const content = part.subarray(headerEnd + 4);
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      const filename = /filename="?([^";\r\n]*)"?/i.exec(headers)?.[1];
      if (name !== undefined) {
        if (filename === undefined) into[name] = decodeFormValue(content.toString("utf8"));
        else {
          // The bytes stay readable by tests (uploadedBytes) without showing in the recorded payload.
          const file = { filename, size: content.length };
          Object.defineProperty(file, "bytes", { value: Buffer.from(content), enumerable: false });
          into[name] = file;
        }
      }
    }
    start = next;
  }
}

/**
 * The bytes of a file uploaded in a multipart request, by the parameter naming it: either the file
 * part itself or an `attach://<part>` reference to it (how Bot API clients send a file field).
 */
export function uploadedBytes(payload: Params, field: string): Buffer | undefined {
  const value = payload[field];
  const part = typeof value === "string" && value.startsWith("attach://") ? payload[value.slice(9)] : value;
  const bytes = part && typeof part === "object" ? (part as { bytes?: unknown }).bytes : undefined;
  return Buffer.isBuffer(bytes) ? bytes : undefined;
}

/**
 * Parses request parameters from the query string and the body (JSON, urlencoded, or
 * multipart with uploaded files reduced to `{filename, size}`). Throws on malformed JSON.
 */
export function parseParams(req: http.IncomingMessage, body: Buffer): Params {
  const params: Params = {};
  const url = new URL(req.url ?? "/", "http://fake.invalid");
  for (const [key, value] of url.searchParams) params[key] = decodeFormValue(value);
  if (body.length === 0) return params;
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    const boundary = /boundary="?([^";]+)"?/i.exec(req.headers["content-type"] ?? "")?.[1];
    if (boundary) parseMultipart(body, boundary, params);
  } else if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [key, value] of new URLSearchParams(body.toString("utf8"))) {
      params[key] = decodeFormValue(value);
    }
  } else {
    const parsed = JSON.parse(body.toString("utf8")) as unknown;
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      Object.assign(params, parsed);
    }
  }
  return params;
}

/**
 * Polls `predicate` every ~10 ms until it returns something other than `undefined`, `null`
 * or `false`, and resolves with that value. A throwing predicate counts as "not yet"; its
 * last error is quoted when the wait times out.
 */
export async function waitFor<T>(
  predicate: () => T | undefined | false,
  timeoutMs = 5000,
  describeState?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = predicate();
      if (value !== undefined && value !== false && value !== null) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `; last predicate error: ${lastError.message}` : "";
      const state = describeState ? `; ${describeState()}` : "";
      throw new Error(`waitFor: condition not met within ${timeoutMs} ms${reason}${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** POSTs `body` to `url` on a fresh connection (no keep-alive) and returns status and raw text. */
export function postRaw(url: string, body: string, headers: Record<string, string>): Promise<PushResult> {
  const target = new URL(url);
  const transport = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          connection: "close",
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Chat id as a comparison key: numbers and numeric strings compare equal. */
export function chatKey(chatId: unknown): string {
  return String(chatId);
}

/** A request held open by a long-polling method. */
interface HeldRequest {
  /** Re-runs the check; answers when it yields a reply. */
  recheck: () => void;
  /** Answers at once with `reply` (undefined = leave unanswered). */
  settle: (reply: Reply | undefined) => void;
}

/** An error queued by `failNext`. */
interface InjectedFailure<E> {
  method: string;
  remaining: number;
  error: E | "network";
}

/**
 * Shared machinery of the fake Bot API servers: `node:http` lifecycle, request recording,
 * injected failures, long-poll bookkeeping and `waitFor`. Subclasses implement `handle`.
 */
export abstract class FakeHttpApi<E> {
  /** Every request answered so far, in order of answering (including rejected and destroyed ones). */
  calls: FakeCall[] = [];
  /** `http://127.0.0.1:PORT` once `listen()` resolved. */
  apiRoot = "";

  /**
   * Called with each call after it was carried out and recorded, before its HTTP answer is sent:
   * return a promise to hold the answer (the platform did it, the bot does not know yet).
   */
  beforeAnswer: ((call: FakeCall) => Promise<void> | undefined) | undefined;

  private readonly server: http.Server;
  private failures: InjectedFailure<E>[] = [];
  private held = new Set<HeldRequest>();

  /** Methods whose successful calls count as delivered messages. */
  protected abstract readonly deliveryMethods: ReadonlySet<string>;

  constructor() {
    this.server = http.createServer((req, res) => {
      void this.dispatch(req, res);
    });
  }

  /** Starts listening on 127.0.0.1 with a random port and returns the API root URL. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        const { port } = this.server.address() as AddressInfo;
        this.apiRoot = `http://127.0.0.1:${port}`;
        resolve(this.apiRoot);
      });
    });
  }

  /** Stops the server, dropping held long polls and all open (keep-alive) connections. */
  close(): Promise<void> {
    for (const hold of [...this.held]) hold.settle(undefined);
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Recorded calls of one method. */
  callsTo(method: string): FakeCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Successful calls of the message-delivering methods, optionally for one chat (ids compared as strings). */
  delivered(chatId?: string | number): FakeCall[] {
    return this.calls.filter(
      (call) =>
        this.deliveryMethods.has(call.method) &&
        call.response?.ok === true &&
        (chatId === undefined || chatKey(call.payload.chat_id) === chatKey(chatId)),
    );
  }

  /** Forgets the recorded calls (limits, blocks and stored messages stay). */
  reset(): void {
    this.calls = [];
  }

  /** Polls `predicate` every ~10 ms; see the standalone `waitFor`. The timeout message lists the last calls. */
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    return waitFor(predicate, timeoutMs, () => {
      const last = this.calls.slice(-8).map((call) => `${call.method}→${call.status}`);
      return `${this.calls.length} calls recorded, last: [${last.join(", ")}]`;
    });
  }

  /**
   * Makes the next `times` calls of `method` fail with `error` instead of being processed
   * (no token is consumed, nothing is stored). `"network"` destroys the socket unanswered.
   */
  failNext(method: string, times: number, error: E | "network"): void {
    if (times > 0) this.failures.push({ method, remaining: times, error });
  }

  /** Handles one request whose method and params are known; resolves with the reply to send. */
  protected abstract handle(method: string, params: Params, res: http.ServerResponse): Promise<Reply | undefined>;

  /** Splits the URL into token and method, or returns undefined when it is not `/bot<token>/<method>`. */
  protected abstract route(pathname: string): { token: string; method: string } | undefined;

  /** Reply for a malformed URL, a wrong token or an unparsable body. */
  protected abstract routingError(kind: "not-found" | "unauthorized" | "bad-body", detail?: string): Reply;

  /** Converts an injected failure to a reply. */
  protected abstract injectedReply(error: E): Reply;

  /** The bot token the fake accepts. */
  protected abstract readonly token: string;

  /**
   * Holds a long-polling request until `check` yields a reply (re-run by `wakeHeld`) or
   * `timeoutMs` passes (then `onTimeout`). Resolves undefined when the client goes away.
   */
  protected hold(
    res: http.ServerResponse,
    timeoutMs: number,
    check: () => Reply | undefined,
    onTimeout: () => Reply,
  ): Promise<Reply | undefined> {
    const immediate = check();
    if (immediate || timeoutMs <= 0) return Promise.resolve(immediate ?? onTimeout());
    return new Promise((resolve) => {
      const timer = setTimeout(() => hold.settle(onTimeout()), timeoutMs);
      const onClose = (): void => hold.settle(undefined);
      const hold: HeldRequest = {
        recheck: () => {
          const reply = check();
          if (reply) hold.settle(reply);
        },
        settle: (reply) => {
          if (!this.held.delete(hold)) return;
          clearTimeout(timer);
          res.off("close", onClose);
          resolve(reply);
        },
      };
      res.once("close", onClose);
      this.held.add(hold);
    });
  }

  /** Lets every held long poll re-check whether it can be answered now. */
  protected wakeHeld(): void {
    for (const hold of [...this.held]) hold.recheck();
  }

  /** Answers every held long poll at once with `reply`. */
  protected settleHeld(reply: Reply): void {
    for (const hold of [...this.held]) hold.settle(reply);
  }

  private takeFailure(method: string): E | "network" | undefined {
    const failure = this.failures.find((f) => f.method === method);
    if (!failure) return undefined;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
    return failure.error;
  }

  /** Answers a request that is not an API method (a file download); true when it did. */
  protected serveRaw(_pathname: string, _res: http.ServerResponse): boolean {
    return false;
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = Date.now();
    const pathname = new URL(req.url ?? "/", "http://fake.invalid").pathname;
    if (this.serveRaw(pathname, res)) return;
    const route = this.route(pathname);
    let payload: Params = {};
    let reply: Reply | undefined;
    try {
      const body = await readBody(req);
      try {
        payload = parseParams(req, body);
      } catch (error) {
        reply = this.routingError("bad-body", error instanceof Error ? error.message : String(error));
      }
    } catch {
      return;
    }
    const method = route?.method ?? pathname;
    if (!reply) {
      if (!route) reply = this.routingError("not-found");
      else if (route.token !== this.token) reply = this.routingError("unauthorized");
      else {
        const failure = this.takeFailure(route.method);
        if (failure === "network") reply = "network";
        else if (failure !== undefined) reply = this.injectedReply(failure);
        else {
          try {
            reply = await this.handle(route.method, payload, res);
          } catch (error) {
            reply = { status: 500, body: { ok: false, error_code: 500, description: `Internal Server Error: ${String(error)}` } };
          }
        }
      }
    }
    if (reply === undefined || res.destroyed) {
      this.calls.push({ method, payload, at, status: 0, response: undefined });
      return;
    }
    if (reply === "network") {
      this.calls.push({ method, payload, at, status: 0, response: undefined });
      req.socket.destroy();
      return;
    }
    const call: FakeCall = { method, payload, at, status: reply.status, response: reply.body };
    this.calls.push(call);
    const holding = this.beforeAnswer?.(call);
    if (holding) await holding;
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
    });
    res.end(text);
  }
}
