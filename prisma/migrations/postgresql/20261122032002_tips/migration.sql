-- AlterTable
ALTER TABLE "Chat" ADD COLUMN     "flow" TEXT;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "sensitive" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "Queue" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "provinceCode" TEXT NOT NULL,
    "communeCode" TEXT,
    "groupChatId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Queue_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoutingRule" (
    "id" SERIAL NOT NULL,
    "category" TEXT NOT NULL,
    "queueKind" TEXT NOT NULL,
    "provinceCode" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RoutingRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Tip" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "pinHash" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "lifeSafety" BOOLEAN NOT NULL DEFAULT false,
    "priority" TEXT NOT NULL DEFAULT 'normal',
    "status" TEXT NOT NULL DEFAULT 'new',
    "claimedById" TEXT,
    "claimedAt" TIMESTAMP(3),
    "classification" TEXT,
    "duplicateOf" TEXT,
    "outcome" TEXT,
    "closedAt" TIMESTAMP(3),
    "receiptNoticeDueAt" TIMESTAMP(3),
    "receiptNoticeSentAt" TIMESTAMP(3),
    "decisionDueAt" TIMESTAMP(3),
    "extension" TEXT NOT NULL DEFAULT 'none',
    "transferredAt" TIMESTAMP(3),
    "previousQueueId" TEXT,
    "channel" TEXT NOT NULL,
    "queueId" TEXT NOT NULL,
    "provinceCode" TEXT NOT NULL,
    "communeCode" TEXT,
    "placeSource" TEXT NOT NULL,
    "placeText" TEXT,
    "latitude" DOUBLE PRECISION,
    "longitude" DOUBLE PRECISION,
    "occurredWhen" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "details" TEXT NOT NULL DEFAULT '{}',
    "identityMode" TEXT NOT NULL,
    "contactSealed" TEXT,
    "replyRefSealed" TEXT NOT NULL,
    "locale" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "pinFailures" INTEGER NOT NULL DEFAULT 0,
    "pinLockedUntil" TIMESTAMP(3),

    CONSTRAINT "Tip_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TipCard" (
    "id" SERIAL NOT NULL,
    "tipId" TEXT NOT NULL,
    "queueId" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "outboxId" INTEGER NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TipCard_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Officer" (
    "id" TEXT NOT NULL,
    "telegramUserId" TEXT NOT NULL,
    "displayName" TEXT,
    "role" TEXT NOT NULL,
    "scopeKind" TEXT NOT NULL,
    "scopeCode" TEXT NOT NULL,
    "privateChatId" TEXT,
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Officer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OneTimeCode" (
    "id" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "role" TEXT,
    "scopeKind" TEXT,
    "scopeCode" TEXT,
    "queueId" TEXT,
    "createdBy" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "usedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OneTimeCode_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OfficerPrompt" (
    "id" SERIAL NOT NULL,
    "tipId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "officerId" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "outboxId" INTEGER NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OfficerPrompt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TipNote" (
    "id" SERIAL NOT NULL,
    "tipId" TEXT NOT NULL,
    "officerId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TipNote_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RelayMessage" (
    "id" SERIAL NOT NULL,
    "tipId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "officerId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RelayMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReminderLog" (
    "id" SERIAL NOT NULL,
    "tipId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReminderLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TipAttachment" (
    "id" SERIAL NOT NULL,
    "tipId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "caption" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TipAttachment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TipCopy" (
    "id" SERIAL NOT NULL,
    "tipId" TEXT NOT NULL,
    "queueId" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TipCopy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TipDraft" (
    "chatId" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TipDraft_pkey" PRIMARY KEY ("chatId")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" SERIAL NOT NULL,
    "tipId" TEXT,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "data" TEXT NOT NULL DEFAULT '{}',
    "via" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RateCounter" (
    "key" TEXT NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "RateCounter_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "Upload" (
    "id" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "mime" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Upload_pkey" PRIMARY KEY ("id")
);

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

-- AddForeignKey
ALTER TABLE "Queue" ADD CONSTRAINT "Queue_groupChatId_fkey" FOREIGN KEY ("groupChatId") REFERENCES "Chat"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Tip" ADD CONSTRAINT "Tip_claimedById_fkey" FOREIGN KEY ("claimedById") REFERENCES "Officer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Tip" ADD CONSTRAINT "Tip_queueId_fkey" FOREIGN KEY ("queueId") REFERENCES "Queue"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TipCard" ADD CONSTRAINT "TipCard_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TipCard" ADD CONSTRAINT "TipCard_queueId_fkey" FOREIGN KEY ("queueId") REFERENCES "Queue"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TipNote" ADD CONSTRAINT "TipNote_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TipNote" ADD CONSTRAINT "TipNote_officerId_fkey" FOREIGN KEY ("officerId") REFERENCES "Officer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RelayMessage" ADD CONSTRAINT "RelayMessage_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReminderLog" ADD CONSTRAINT "ReminderLog_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TipAttachment" ADD CONSTRAINT "TipAttachment_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TipCopy" ADD CONSTRAINT "TipCopy_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TipCopy" ADD CONSTRAINT "TipCopy_queueId_fkey" FOREIGN KEY ("queueId") REFERENCES "Queue"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_tipId_fkey" FOREIGN KEY ("tipId") REFERENCES "Tip"("id") ON DELETE CASCADE ON UPDATE CASCADE;
