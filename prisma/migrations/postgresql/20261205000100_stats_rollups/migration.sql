-- CreateTable
CREATE TABLE "StatsDirty" (
    "id" SERIAL NOT NULL,
    "month" TEXT NOT NULL,
    "queueProvince" TEXT NOT NULL,

    CONSTRAINT "StatsDirty_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StatsChunk" (
    "month" TEXT NOT NULL,
    "queueProvince" TEXT NOT NULL,
    "builtAt" TIMESTAMP(3) NOT NULL,
    "nextChangeAt" TIMESTAMP(3),

    CONSTRAINT "StatsChunk_pkey" PRIMARY KEY ("month","queueProvince")
);

-- CreateTable
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

    CONSTRAINT "StatsUnit_pkey" PRIMARY KEY ("category","channel","month","queueId","placeProvince","placeCommune")
);

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

    CONSTRAINT "StatsCell_pkey" PRIMARY KEY ("channel","category","month","placeProvince","queueProvince")
);

-- CreateTable
CREATE TABLE "StatsRollupState" (
    "id" INTEGER NOT NULL,
    "markedAt" TIMESTAMP(3),
    "readyAt" TIMESTAMP(3),
    "passAt" TIMESTAMP(3),

    CONSTRAINT "StatsRollupState_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "StatsDirty_month_queueProvince_idx" ON "StatsDirty"("month", "queueProvince");

-- CreateIndex
CREATE INDEX "StatsChunk_nextChangeAt_idx" ON "StatsChunk"("nextChangeAt");

-- CreateIndex
CREATE INDEX "StatsUnit_queueProvince_month_idx" ON "StatsUnit"("queueProvince", "month");

-- CreateIndex
CREATE INDEX "StatsCell_queueProvince_month_idx" ON "StatsCell"("queueProvince", "month");
