-- AlterTable
ALTER TABLE "Chat" ADD COLUMN "flow" TEXT;

-- CreateTable
CREATE TABLE "Queue" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "provinceCode" TEXT NOT NULL,
    "communeCode" TEXT,
    "groupChatId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Queue_groupChatId_fkey" FOREIGN KEY ("groupChatId") REFERENCES "Chat" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RoutingRule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "category" TEXT NOT NULL,
    "queueKind" TEXT NOT NULL,
    "provinceCode" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Tip" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "code" TEXT NOT NULL,
    "pinHash" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "lifeSafety" BOOLEAN NOT NULL DEFAULT false,
    "priority" TEXT NOT NULL DEFAULT 'normal',
    "status" TEXT NOT NULL DEFAULT 'new',
    "claimedById" TEXT,
    "claimedAt" DATETIME,
    "classification" TEXT,
    "duplicateOf" TEXT,
    "outcome" TEXT,
    "closedAt" DATETIME,
    "receiptNoticeDueAt" DATETIME,
    "receiptNoticeSentAt" DATETIME,
    "decisionDueAt" DATETIME,
    "extension" TEXT NOT NULL DEFAULT 'none',
    "transferredAt" DATETIME,
    "previousQueueId" TEXT,
    "channel" TEXT NOT NULL,
    "queueId" TEXT NOT NULL,
    "provinceCode" TEXT NOT NULL,
    "communeCode" TEXT,
    "placeSource" TEXT NOT NULL,
    "placeText" TEXT,
    "latitude" REAL,
    "longitude" REAL,
    "occurredWhen" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "details" TEXT NOT NULL DEFAULT '{}',
    "identityMode" TEXT NOT NULL,
    "contactSealed" TEXT,
    "replyRefSealed" TEXT NOT NULL,
    "locale" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "pinFailures" INTEGER NOT NULL DEFAULT 0,
    "pinLockedUntil" DATETIME,
    CONSTRAINT "Tip_claimedById_fkey" FOREIGN KEY ("claimedById") REFERENCES "Officer" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Tip_queueId_fkey" FOREIGN KEY ("queueId") REFERENCES "Queue" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TipCard" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tipId" TEXT NOT NULL,
    "queueId" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "outboxId" INTEGER NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TipCard_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TipCard_queueId_fkey" FOREIGN KEY ("queueId") REFERENCES "Queue" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Officer" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "telegramUserId" TEXT NOT NULL,
    "displayName" TEXT,
    "role" TEXT NOT NULL,
    "scopeKind" TEXT NOT NULL,
    "scopeCode" TEXT NOT NULL,
    "privateChatId" TEXT,
    "revokedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "OneTimeCode" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "codeHash" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "role" TEXT,
    "scopeKind" TEXT,
    "scopeCode" TEXT,
    "queueId" TEXT,
    "createdBy" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "usedBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "OfficerPrompt" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tipId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "officerId" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "outboxId" INTEGER NOT NULL,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "TipNote" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tipId" TEXT NOT NULL,
    "officerId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TipNote_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TipNote_officerId_fkey" FOREIGN KEY ("officerId") REFERENCES "Officer" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RelayMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tipId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "officerId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RelayMessage_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ReminderLog" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tipId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sentAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ReminderLog_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TipAttachment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tipId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "caption" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TipAttachment_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TipCopy" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tipId" TEXT NOT NULL,
    "queueId" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TipCopy_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TipCopy_queueId_fkey" FOREIGN KEY ("queueId") REFERENCES "Queue" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TipDraft" (
    "chatId" TEXT NOT NULL PRIMARY KEY,
    "data" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tipId" TEXT,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "data" TEXT NOT NULL DEFAULT '{}',
    "via" TEXT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AuditEvent_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RateCounter" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "windowStart" DATETIME NOT NULL,
    "count" INTEGER NOT NULL
);

-- CreateTable
CREATE TABLE "Upload" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "chatId" TEXT NOT NULL,
    "mime" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "bytes" BLOB NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_OutboxMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "channel" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "sensitive" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "rateLimitedCount" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sourceUpdateId" INTEGER,
    "platformMessageId" TEXT,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" DATETIME,
    CONSTRAINT "OutboxMessage_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "Chat" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_OutboxMessage" ("attempts", "channel", "chatId", "createdAt", "id", "lastError", "method", "nextAttemptAt", "payload", "platformMessageId", "priority", "rateLimitedCount", "sentAt", "sourceUpdateId", "status") SELECT "attempts", "channel", "chatId", "createdAt", "id", "lastError", "method", "nextAttemptAt", "payload", "platformMessageId", "priority", "rateLimitedCount", "sentAt", "sourceUpdateId", "status" FROM "OutboxMessage";
DROP TABLE "OutboxMessage";
ALTER TABLE "new_OutboxMessage" RENAME TO "OutboxMessage";
CREATE INDEX "OutboxMessage_status_id_idx" ON "OutboxMessage"("status", "id");
CREATE INDEX "OutboxMessage_sourceUpdateId_idx" ON "OutboxMessage"("sourceUpdateId");
CREATE INDEX "OutboxMessage_chatId_status_idx" ON "OutboxMessage"("chatId", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Queue_provinceCode_kind_idx" ON "Queue"("provinceCode", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "RoutingRule_category_queueKind_provinceCode_key" ON "RoutingRule"("category", "queueKind", "provinceCode");

-- CreateIndex
CREATE UNIQUE INDEX "Tip_code_key" ON "Tip"("code");

-- CreateIndex
CREATE INDEX "Tip_queueId_status_idx" ON "Tip"("queueId", "status");

-- CreateIndex
CREATE INDEX "TipCard_tipId_idx" ON "TipCard"("tipId");

-- CreateIndex
CREATE INDEX "TipCard_chatId_outboxId_idx" ON "TipCard"("chatId", "outboxId");

-- CreateIndex
CREATE UNIQUE INDEX "Officer_telegramUserId_key" ON "Officer"("telegramUserId");

-- CreateIndex
CREATE UNIQUE INDEX "OneTimeCode_codeHash_key" ON "OneTimeCode"("codeHash");

-- CreateIndex
CREATE INDEX "OfficerPrompt_chatId_outboxId_idx" ON "OfficerPrompt"("chatId", "outboxId");

-- CreateIndex
CREATE INDEX "ReminderLog_tipId_kind_idx" ON "ReminderLog"("tipId", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "TipCopy_tipId_queueId_key" ON "TipCopy"("tipId", "queueId");

-- CreateIndex
CREATE INDEX "TipDraft_updatedAt_idx" ON "TipDraft"("updatedAt");

-- CreateIndex
CREATE INDEX "AuditEvent_tipId_at_idx" ON "AuditEvent"("tipId", "at");

-- CreateIndex
CREATE INDEX "Upload_chatId_idx" ON "Upload"("chatId");
