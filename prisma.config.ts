import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

const root = path.dirname(fileURLToPath(import.meta.url));
// Offline: never let the CLI try to download the native schema-engine (opt out with PRISMA_ONLINE=1).
if (!process.env.PRISMA_ONLINE) process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(root, "scripts/schema-engine-offline.sh");

const provider = process.env.PRISMA_PROVIDER === "postgresql" ? "postgresql" : "sqlite";
export default defineConfig({
  schema: provider === "sqlite" ? "prisma/schema.prisma" : "prisma/postgresql/schema.prisma",
  migrations: { path: `prisma/migrations/${provider}` },
  datasource: { url: process.env.DATABASE_URL ?? "file:./data/taimat.db" },
});
