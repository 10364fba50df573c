-- CreateTable
CREATE TABLE "SavedView" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "officerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "query" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SavedView_officerId_fkey" FOREIGN KEY ("officerId") REFERENCES "Officer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "MonthlyReport" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "month" TEXT NOT NULL,
    "unitKind" TEXT NOT NULL,
    "unitCode" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "postedAt" DATETIME
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Tip" (
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
    "receivedMonth" TEXT NOT NULL DEFAULT '',
    "receivedHour" INTEGER NOT NULL DEFAULT 0,
    "receivedWeekday" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL,
    "pinFailures" INTEGER NOT NULL DEFAULT 0,
    "pinLockedUntil" DATETIME,
    CONSTRAINT "Tip_claimedById_fkey" FOREIGN KEY ("claimedById") REFERENCES "Officer" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Tip_queueId_fkey" FOREIGN KEY ("queueId") REFERENCES "Queue" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Tip" ("category", "channel", "claimedAt", "claimedById", "classification", "closedAt", "code", "communeCode", "contactSealed", "decisionDueAt", "description", "details", "duplicateOf", "extension", "id", "identityMode", "latitude", "lifeSafety", "locale", "longitude", "occurredWhen", "outcome", "pinFailures", "pinHash", "pinLockedUntil", "placeSource", "placeText", "previousQueueId", "priority", "provinceCode", "queueId", "receiptNoticeDueAt", "receiptNoticeSentAt", "receivedAt", "replyRefSealed", "status", "transferredAt", "updatedAt") SELECT "category", "channel", "claimedAt", "claimedById", "classification", "closedAt", "code", "communeCode", "contactSealed", "decisionDueAt", "description", "details", "duplicateOf", "extension", "id", "identityMode", "latitude", "lifeSafety", "locale", "longitude", "occurredWhen", "outcome", "pinFailures", "pinHash", "pinLockedUntil", "placeSource", "placeText", "previousQueueId", "priority", "provinceCode", "queueId", "receiptNoticeDueAt", "receiptNoticeSentAt", "receivedAt", "replyRefSealed", "status", "transferredAt", "updatedAt" FROM "Tip";
DROP TABLE "Tip";
ALTER TABLE "new_Tip" RENAME TO "Tip";
CREATE UNIQUE INDEX "Tip_code_key" ON "Tip"("code");
CREATE INDEX "Tip_queueId_status_idx" ON "Tip"("queueId", "status");
CREATE INDEX "Tip_receivedMonth_provinceCode_idx" ON "Tip"("receivedMonth", "provinceCode");
CREATE INDEX "Tip_receivedAt_idx" ON "Tip"("receivedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "SavedView_officerId_name_key" ON "SavedView"("officerId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "MonthlyReport_month_unitKind_unitCode_key" ON "MonthlyReport"("month", "unitKind", "unitCode");

-- Backfill: month, hour and weekday of receipt in Vietnam's time (UTC+7, no daylight saving).
UPDATE "Tip" SET
    "receivedMonth" = strftime('%Y-%m', "receivedAt", '+7 hours'),
    "receivedHour" = CAST(strftime('%H', "receivedAt", '+7 hours') AS INTEGER),
    "receivedWeekday" = ((CAST(strftime('%w', "receivedAt", '+7 hours') AS INTEGER) + 6) % 7) + 1;
