import http from "node:http";
import https from "node:https";

/** What the Bot API answered: its JSON envelope, or a network failure. */
export type BotApiAnswer =
  | { ok: true; result: unknown }
  | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number; migrate_to_chat_id?: number } }
  | { ok: "network"; reason: string };

/**
 * A lean Bot API client for the one call a paid broadcast makes up to 1,000 times a second: a JSON
 * POST on kept-alive connections, the answer's envelope returned as is. grammY's client (node-fetch,
 * abort controllers, transformers) costs several times more CPU per call, which at that pace is the
 * difference between keeping up and not. Everything else still goes through grammY.
 */
export class BotApiJsonPost {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly url: URL;

  /** `apiRoot` as configured (e.g. https://api.telegram.org); the token never leaves this object except in the request path. */
  constructor(apiRoot: string, private readonly token: string, private readonly timeoutMs = 30_000) {
    this.url = new URL(apiRoot);
    const secure = this.url.protocol === "https:";
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 128 }) : new http.Agent({ keepAlive: true, maxSockets: 128 });
    this.request = secure ? https.request : http.request;
  }

  /** Calls `method` with `payload` (JSON); never throws. */
  call(method: string, payload: Record<string, unknown>): Promise<BotApiAnswer> {
    const body = Buffer.from(JSON.stringify(payload));
    const base = this.url.pathname.replace(/\/+$/, "");
    return new Promise((resolve) => {
      let settled = false;
      const done = (answer: BotApiAnswer) => {
        if (!settled) {
          settled = true;
          resolve(answer);
        }
      };
      const req = this.request(
        {
          agent: this.agent,
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port || undefined,
          method: "POST",
          path: `${base}/bot${this.token}/${method}`,
          headers: { "content-type": "application/json", "content-length": body.length },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (err) => done({ ok: "network", reason: err.message }));
          res.on("end", () => {
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString("utf8")) as BotApiAnswer;
              if (answer && (answer.ok === true || (answer.ok === false && typeof answer.error_code === "number"))) return done(answer);
            } catch {
              // not JSON: below
            }
            done(res.statusCode && res.statusCode >= 500 ? { ok: "network", reason: `HTTP ${res.statusCode}` } : { ok: false, error_code: res.statusCode ?? 0, description: `unexpected answer (HTTP ${res.statusCode})` });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", (err) => done({ ok: "network", reason: err.message }));
      req.end(body);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
