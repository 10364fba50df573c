import fs from "node:fs";
import { fromRoot } from "../paths.ts";

/** One scalar column of a model, as declared in prisma/schema.prisma. */
export interface SchemaField {
  name: string;
  /** Prisma scalar type: String, Int, BigInt, Float, Boolean, DateTime, Bytes. */
  type: string;
  optional: boolean;
  /** The model's single-column primary key. */
  isId: boolean;
  /** The `///` comment above the field, if any. */
  doc?: string;
}

/** One model: its scalar columns (relation fields left out) and its `///` comment. */
export interface SchemaModel {
  name: string;
  doc?: string;
  fields: SchemaField[];
  /** Name of the single-column primary key. */
  idField: string;
}

/** The canonical schema file. */
export const SCHEMA_FILE = fromRoot("prisma", "schema.prisma");

/**
 * Reads the models of a Prisma schema (the small subset this project uses: no enums, no composite
 * ids). Relation fields (typed with another model) are left out: their columns are listed separately.
 */
export function parseSchemaModels(text: string = fs.readFileSync(SCHEMA_FILE, "utf8")): SchemaModel[] {
  const models: SchemaModel[] = [];
  const names = new Set([...text.matchAll(/^model (\w+) \{/gm)].map((m) => m[1]!));
  let current: SchemaModel | null = null;
  let doc: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("///")) {
      doc.push(line.slice(3).trim());
      continue;
    }
    const open = /^model (\w+) \{$/.exec(line);
    if (open) {
      current = { name: open[1]!, doc: doc.join(" ") || undefined, fields: [], idField: "" };
      models.push(current);
    } else if (current && line === "}") {
      current = null;
    } else if (current && /^\w/.test(line)) {
      const m = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (m && !names.has(m[2]!) && !m[3]) {
        const field: SchemaField = { name: m[1]!, type: m[2]!, optional: m[4] === "?", isId: /@id\b/.test(m[5]!), doc: doc.join(" ") || undefined };
        current.fields.push(field);
        if (field.isId) current.idField = field.name;
      }
    }
    if (line !== "" || !current) doc = [];
  }
  return models;
}
