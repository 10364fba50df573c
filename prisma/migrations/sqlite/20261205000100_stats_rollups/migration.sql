-- CreateTable
CREATE TABLE "StatsDirty" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "month" TEXT NOT NULL,
    "queueProvince" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "StatsChunk" (
    "month" TEXT NOT NULL,
    "queueProvince" TEXT NOT NULL,
    "builtAt" DATETIME NOT NULL,
    "nextChangeAt" DATETIME,

    PRIMARY KEY ("month", "queueProvince")
);

-- CreateTable (WITHOUT ROWID: rows stored in primary-key order, so a range of months is read in one pass)
CREATE TABLE "StatsUnit" (
    "month" TEXT NOT NULL,
    "queueProvince" TEXT NOT NULL,
    "queueId" TEXT NOT NULL,
    "placeProvince" TEXT NOT NULL,
    "placeCommune" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "tips" INTEGER NOT NULL,
    "receiptMet" INTEGER NOT NULL,
    "receiptBreached" INTEGER NOT NULL,
    "receiptOpen" INTEGER NOT NULL,
    "receiptAtRisk" INTEGER NOT NULL,
    "decisionMet" INTEGER NOT NULL,
    "decisionBreached" INTEGER NOT NULL,
    "decisionOpen" INTEGER NOT NULL,
    "decisionAtRisk" INTEGER NOT NULL,

    PRIMARY KEY ("category", "channel", "month", "queueId", "placeProvince", "placeCommune")
) WITHOUT ROWID;

-- CreateTable
CREATE TABLE "StatsCell" (
    "month" TEXT NOT NULL,
    "queueProvince" TEXT NOT NULL,
    "placeProvince" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "tips" INTEGER NOT NULL,
    "claimed" INTEGER NOT NULL,
    "heat" TEXT NOT NULL,
    "claims" TEXT NOT NULL,

    PRIMARY KEY ("channel", "category", "month", "placeProvince", "queueProvince")
) WITHOUT ROWID;

-- CreateTable
CREATE TABLE "StatsRollupState" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "markedAt" DATETIME,
    "readyAt" DATETIME,
    "passAt" DATETIME
);

-- CreateIndex
CREATE INDEX "StatsDirty_month_queueProvince_idx" ON "StatsDirty"("month", "queueProvince");

-- CreateIndex
CREATE INDEX "StatsChunk_nextChangeAt_idx" ON "StatsChunk"("nextChangeAt");

-- CreateIndex
CREATE INDEX "StatsUnit_queueProvince_month_idx" ON "StatsUnit"("queueProvince", "month");

-- CreateIndex
CREATE INDEX "StatsCell_queueProvince_month_idx" ON "StatsCell"("queueProvince", "month");
