import { loadConfig } from "../config.ts";
import { openDb, type Db } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { loadReferenceData } from "../db/referenceData.ts";

/** One admin command: its usage line and what it does. */
interface Command {
  usage: string;
  run(db: Db, args: Map<string, string>, positional: string[]): Promise<void>;
}

const commands: Record<string, Command> = {
  "unit:list": {
    usage: "unit:list [--province CODE]   list provinces, or the communes of one province",
    async run(db, args) {
      const province = args.get("province");
      if (!province) {
        for (const p of await db.province.findMany({ orderBy: { code: "asc" } })) console.log(`${p.code}\t${p.name}`);
        return;
      }
      const communes = await db.commune.findMany({ where: { provinceCode: province }, orderBy: { code: "asc" } });
      if (communes.length === 0) throw new UsageError(`no province with code ${province}`);
      for (const c of communes) console.log(`${c.code}\t${c.name}`);
    },
  },
  "inbox:parked": {
    usage: "inbox:parked                   list updates that failed every attempt",
    async run(db) {
      const rows = await db.inboxUpdate.findMany({ where: { status: "parked" }, orderBy: { id: "asc" } });
      if (rows.length === 0) console.log("no parked updates");
      for (const r of rows) {
        console.log(`#${r.id}\t${r.channel}\tupdate ${r.updateKey}\treceived ${r.receivedAt.toISOString()}\tattempts ${r.attempts}`);
        console.log(`\t${(r.lastError ?? "").split("\n")[0]}`);
      }
    },
  },
  "inbox:retry": {
    usage: "inbox:retry ID... | --all      release parked updates for another try (the running service picks them up)",
    async run(db, args, ids) {
      const where = args.has("all") ? { status: "parked" } : { status: "parked", id: { in: ids.map(Number).filter(Number.isInteger) } };
      if (!args.has("all") && ids.length === 0) throw new UsageError("give update ids or --all");
      const { count } = await db.inboxUpdate.updateMany({ where, data: { status: "pending", attempts: 0, nextAttemptAt: new Date() } });
      console.log(`${count} update(s) released`);
    },
  },
  "outbox:failed": {
    usage: "outbox:failed                  list messages the platforms refused or that failed every attempt",
    async run(db) {
      const rows = await db.outboxMessage.findMany({ where: { status: "failed" }, orderBy: { id: "asc" }, take: 200 });
      if (rows.length === 0) console.log("no failed messages");
      for (const r of rows) console.log(`#${r.id}\t${r.channel}\t${r.method}\t${r.createdAt.toISOString()}\t${r.lastError ?? ""}`);
    },
  },
};

class UsageError extends Error {}

function usage(): string {
  return ["usage: npm run admin -- <command> [options]", "", ...Object.values(commands).map((c) => `  ${c.usage}`)].join("\n");
}

function parse(argv: string[]): { args: Map<string, string>; positional: string[] } {
  const args = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=", 2) as [string, string | undefined];
      if (v !== undefined) args.set(k, v);
      else if (argv[i + 1] && !argv[i + 1]!.startsWith("--")) args.set(k, argv[++i]!);
      else args.set(k, "true");
    } else positional.push(a);
  }
  return { args, positional };
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error(name ? `unknown command: ${name}\n\n${usage()}` : usage());
    return 2;
  }
  const config = loadConfig();
  await migrate(config.databaseUrl);
  const db = await openDb(config.databaseUrl);
  try {
    await loadReferenceData(db);
    const { args, positional } = parse(rest);
    await command.run(db, args, positional);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${usage()}`);
      return 2;
    }
    throw err;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
