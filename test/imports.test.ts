import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

describe("module structure", () => {
  it("src/ has no import cycles (scripts/import-cycles.mjs)", () => {
    const run = spawnSync(process.execPath, [path.resolve(import.meta.dirname, "../scripts/import-cycles.mjs")], { encoding: "utf8" });
    expect(run.stdout).toContain("0 import cycle(s)");
    expect(run.status).toBe(0);
  });
});
