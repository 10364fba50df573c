import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { envSchema, loadConfig } from "../src/config.ts";
import { parseSchemaModels } from "../src/db/schemaModels.ts";
import { annotationProblems, renderRegister } from "../src/core/privacy/register.ts";
import { RETENTION_RULES } from "../src/core/privacy/retentionRules.ts";
import { fromRoot } from "../src/paths.ts";

describe("processing register (Law 91/2025)", () => {
  const models = parseSchemaModels();

  it("annotates every model and every column of the schema", () => {
    expect(models.length).toBeGreaterThan(25);
    expect(annotationProblems(models)).toEqual([]);
  });

  it("fails for a model or a column added to the schema without an annotation", () => {
    const schema = fs.readFileSync(fromRoot("prisma", "schema.prisma"), "utf8");
    const withColumn = schema.replace("model Tip {\n", "model Tip {\n  witnessPhone String?\n");
    const withModel = `${schema}\nmodel Witness {\n  id   Int    @id\n  name String\n}\n`;
    expect(annotationProblems(parseSchemaModels(withColumn))).toEqual(["Tip.witnessPhone has no annotation"]);
    expect(annotationProblems(parseSchemaModels(withModel))).toEqual(["model Witness has no annotation"]);
    expect(() => renderRegister(parseSchemaModels(withColumn))).toThrow(/witnessPhone/);
  });

  it("docs/processing-register.md is what `npm run docs:privacy` generates (vi and en)", () => {
    const committed = fs.readFileSync(fromRoot("docs", "processing-register.md"), "utf8");
    expect(committed, "run npm run docs:privacy").toBe(renderRegister(models));
    expect(committed).toContain("## Tiếng Việt");
    expect(committed).toContain("## English");
    for (const rule of RETENTION_RULES) expect(committed).toContain(`\`${rule.env}\``);
  });

  it("every retention rule is a validated configuration variable, documented in README and .env.example", () => {
    const readme = fs.readFileSync(fromRoot("README.md"), "utf8");
    const example = fs.readFileSync(fromRoot(".env.example"), "utf8");
    for (const rule of RETENTION_RULES) {
      expect(Object.keys(envSchema.shape)).toContain(rule.env);
      expect(readme).toContain(rule.env);
      expect(example).toContain(`${rule.env}=${rule.default}`);
    }
    expect(loadConfig({ RETENTION_OUTBOX_DAYS: "2" }).retention.periods.outbox).toBe(2 * 86_400_000);
    expect(loadConfig({}).retention.periods.drafts).toBe(24 * 3_600_000);
    expect(() => loadConfig({ RETENTION_AUDIT_DAYS: "-1" })).toThrow(/RETENTION_AUDIT_DAYS/);
    expect(() => loadConfig({ RETENTION_SCHEDULE: "61 3 * * *" })).toThrow(/RETENTION_SCHEDULE/);
    expect(loadConfig({ RETENTION_SCHEDULE: "off" }).retention.schedule).toBeNull();
  });
});
