-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "epoch" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "Lease_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "Lease_holder_idx" ON "Lease"("holder");

-- CreateIndex
CREATE INDEX "InboxUpdate_chatKey_status_idx" ON "InboxUpdate"("chatKey", "status");

-- Several instances: every committed audit event naming a tip is announced on the bus
-- (src/cluster/bus.ts, topic tips.changed), whoever wrote it, delivered at commit (NOTIFY).
-- The body is an E-string with \x3B for each semicolon: the migration tooling splits scripts on them.
CREATE OR REPLACE FUNCTION "taimat_tip_changed"() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN PERFORM pg_notify(''taimat_bus'', json_build_object(''t'', ''tips.changed'', ''m'', json_build_object(''tipId'', NEW."tipId", ''action'', NEW."action"))::text)\x3B RETURN NEW\x3B END';

CREATE TRIGGER "AuditEvent_tips_changed" AFTER INSERT ON "AuditEvent"
  FOR EACH ROW WHEN (NEW."tipId" IS NOT NULL) EXECUTE FUNCTION "taimat_tip_changed"();
