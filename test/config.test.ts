import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

describe("configuration", () => {
  it("runs with no variables at all: SQLite in ./data, port 3000, no channels", () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBe("file:./data/taimat.db");
    expect(c.telegram.token).toBeUndefined();
    expect(c.zalo.token).toBeUndefined();
    expect(c.telegram.apiRoot).toBe("https://api.telegram.org");
    expect(c.zalo.apiBase).toBe("https://bot-api.zaloplatforms.com");
    expect(c.telegram.limits).toEqual({ globalPerSecond: 30, chatPerSecond: 1, chatBurst: 3, groupPerMinute: 20, paidPerSecond: 1000 });
  });

  it("treats empty values as unset", () => {
    const c = loadConfig({ TELEGRAM_BOT_TOKEN: "", PUBLIC_URL: "", ZALO_WEBHOOK_SECRET: "" });
    expect(c.telegram.token).toBeUndefined();
    expect(c.publicUrl).toBeUndefined();
  });

  it.each([
    ["PORT", "seventy"],
    ["PORT", "70000"],
    ["DATABASE_URL", "mysql://x"],
    ["LOG_LEVEL", "loud"],
    ["PUBLIC_URL", "not a url"],
    ["TELEGRAM_WEBHOOK_SECRET", "has spaces!"],
    ["ZALO_WEBHOOK_SECRET", "short"],
    ["TELEGRAM_RATE_GLOBAL_PER_SECOND", "-5"],
    ["TELEGRAM_POLLING", "maybe"],
    ["TELEGRAM_PAID_BROADCAST_PER_SECOND", "2000"],
    ["TELEGRAM_PAID_BROADCAST_PER_SECOND", "0"],
  ])("a bad %s stops start-up with a message naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it("accepts a PostgreSQL URL and trims trailing slashes from URLs", () => {
    const c = loadConfig({ DATABASE_URL: "postgresql://u:p@localhost/db", PUBLIC_URL: "https://taimat.example.vn/", TELEGRAM_API_ROOT: "http://127.0.0.1:9000/" });
    expect(c.databaseUrl).toBe("postgresql://u:p@localhost/db");
    expect(c.publicUrl).toBe("https://taimat.example.vn");
    expect(c.telegram.apiRoot).toBe("http://127.0.0.1:9000");
  });

  it("paces paid broadcasts at 1,000 a second unless told otherwise, and the free pace stays 30", () => {
    expect(loadConfig({}).telegram.limits).toMatchObject({ globalPerSecond: 30, paidPerSecond: 1000 });
    expect(loadConfig({ TELEGRAM_PAID_BROADCAST_PER_SECOND: "250" }).telegram.limits.paidPerSecond).toBe(250);
    expect(loadConfig({}).zalo.limits.paidPerSecond).toBeUndefined();
  });
});

describe("documentation of the configuration", () => {
  it("README and .env.example name every variable the service reads", async () => {
    const { envSchema } = await import("../src/config.ts");
    const fs = await import("node:fs");
    const readme = fs.readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const example = fs.readFileSync(new URL("../.env.example", import.meta.url), "utf8");
    const keys = Object.keys(envSchema.shape);
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((k) => !readme.includes(`\`${k}\``) && !readme.includes(`${k}\` /`))).toEqual([]);
    expect(keys.filter((k) => !new RegExp(`^#? ?${k}=`, "m").test(example))).toEqual([]);
  });
});
