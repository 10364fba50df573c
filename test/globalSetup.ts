import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Builds the service once before the suite (`npm run build`, as `npm start` does): the tests that
 * run the service as a child process run the compiled `dist/src/main.js`, the same artefact that
 * goes to production. A type error fails the suite here.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL("../", import.meta.url));
  execFileSync(process.platform === "win32" ? "npx.cmd" : "npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
}
