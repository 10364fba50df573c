import axios, { type AxiosInstance } from "axios";

/** An error answer from the Zalo Bot API (`ok:false`), or a transport failure (errorCode 0). */
export class ZaloApiError extends Error {
  constructor(
    readonly method: string,
    readonly errorCode: number,
    readonly description: string,
    readonly httpStatus?: number,
  ) {
    super(`zalo ${method}: ${errorCode} ${description}`);
  }
}

/**
 * Our own Zalo Bot Platform client (zalo-bot-api.md §7): POSTs JSON to
 * `${base}/bot${token}/${method}`, reads the body whatever the HTTP status, and throws
 * ZaloApiError on `ok:false`. The token is part of every URL, so it never appears in errors.
 */
export class ZaloClient {
  private readonly http: AxiosInstance;

  constructor(
    private readonly token: string,
    apiBase: string,
    timeoutMs = 30_000,
  ) {
    this.http = axios.create({
      baseURL: apiBase,
      timeout: timeoutMs,
      validateStatus: () => true,
      headers: { "content-type": "application/json" },
      maxRedirects: 0,
    });
  }

  /** Calls `method`; returns `result` (undefined for calls that answer only `{ok:true}`). */
  async call<T = unknown>(method: string, body: Record<string, unknown> = {}, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    let res;
    try {
      res = await this.http.post(`/bot${this.token}/${method}`, body, { timeout: opts.timeoutMs, signal: opts.signal });
    } catch (err) {
      const code = (err as { code?: string }).code ?? "network error";
      throw new ZaloApiError(method, 0, code);
    }
    const data = res.data as { ok?: boolean; result?: T; error_code?: number; description?: string; error?: number; message?: string };
    if (data && typeof data === "object" && data.ok === true) return data.result as T;
    const errorCode = data?.error_code ?? data?.error ?? (res.status >= 400 ? res.status : 500);
    const description = data?.description ?? data?.message ?? `HTTP ${res.status}`;
    throw new ZaloApiError(method, Number(errorCode), String(description), res.status);
  }
}
