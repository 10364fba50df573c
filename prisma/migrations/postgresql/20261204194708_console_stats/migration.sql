-- AlterTable
ALTER TABLE "Tip" ADD COLUMN     "receivedHour" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "receivedMonth" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "receivedWeekday" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "SavedView" (
    "id" TEXT NOT NULL,
    "officerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "query" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SavedView_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MonthlyReport" (
    "id" TEXT NOT NULL,
    "month" TEXT NOT NULL,
    "unitKind" TEXT NOT NULL,
    "unitCode" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "postedAt" TIMESTAMP(3),

    CONSTRAINT "MonthlyReport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SavedView_officerId_name_key" ON "SavedView"("officerId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "MonthlyReport_month_unitKind_unitCode_key" ON "MonthlyReport"("month", "unitKind", "unitCode");

-- CreateIndex
CREATE INDEX "Tip_receivedMonth_provinceCode_idx" ON "Tip"("receivedMonth", "provinceCode");

-- CreateIndex
CREATE INDEX "Tip_receivedAt_idx" ON "Tip"("receivedAt");

-- AddForeignKey
ALTER TABLE "SavedView" ADD CONSTRAINT "SavedView_officerId_fkey" FOREIGN KEY ("officerId") REFERENCES "Officer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: month, hour and weekday of receipt in Vietnam's time (UTC+7, no daylight saving).
UPDATE "Tip" SET
    "receivedMonth" = to_char("receivedAt" + interval '7 hours', 'YYYY-MM'),
    "receivedHour" = EXTRACT(HOUR FROM "receivedAt" + interval '7 hours')::integer,
    "receivedWeekday" = EXTRACT(ISODOW FROM "receivedAt" + interval '7 hours')::integer;
