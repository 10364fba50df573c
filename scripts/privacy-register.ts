/**
 * Writes docs/processing-register.md (the personal data processing register, Vietnamese and
 * English) from prisma/schema.prisma and src/core/privacy/annotations.ts. `--check` only compares
 * and exits 1 when the committed file is out of date (or an annotation is missing).
 */
import fs from "node:fs";
import { parseSchemaModels } from "../src/db/schemaModels.ts";
import { renderRegister } from "../src/core/privacy/register.ts";
import { fromRoot } from "../src/paths.ts";

const file = fromRoot("docs", "processing-register.md");
const text = renderRegister(parseSchemaModels());
if (process.argv.includes("--check")) {
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  if (current !== text) {
    console.error("docs/processing-register.md is out of date: run npm run docs:privacy");
    process.exit(1);
  }
  console.log("docs/processing-register.md is up to date");
} else {
  fs.mkdirSync(fromRoot("docs"), { recursive: true });
  fs.writeFileSync(file, text);
  console.log(`written ${file}`);
}
