import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SERVICE_NODE_FLAGS } from "../src/nodeFlags.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

describe("the service's node flags", () => {
  it("npm start passes the flags the benchmarks, the cluster script and the process tests start the service with", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(["node", ...SERVICE_NODE_FLAGS, "dist/src/main.js"].join(" "));
  });
});
