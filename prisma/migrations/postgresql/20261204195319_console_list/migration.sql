-- AlterTable
ALTER TABLE "Tip" ADD COLUMN     "awaitingAnswerSince" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Tip_receivedAt_id_idx" ON "Tip"("receivedAt", "id");

-- CreateIndex
CREATE INDEX "Tip_queueId_receivedAt_id_idx" ON "Tip"("queueId", "receivedAt", "id");

-- CreateIndex
CREATE INDEX "Tip_status_receivedAt_idx" ON "Tip"("status", "receivedAt");

-- CreateIndex
CREATE INDEX "Tip_awaitingAnswerSince_idx" ON "Tip"("awaitingAnswerSince");

-- CreateIndex
CREATE INDEX "Tip_status_closedAt_idx" ON "Tip"("status", "closedAt");

-- CreateIndex
CREATE INDEX "Tip_category_receivedAt_idx" ON "Tip"("category", "receivedAt");

-- Backfill: a tip awaits the tipster's answer since its earliest question with no answer after it.
UPDATE "Tip" SET "awaitingAnswerSince" = (
    SELECT MIN(q."createdAt") FROM "RelayMessage" q
    WHERE q."tipId" = "Tip"."id" AND q."direction" = 'to_tipster'
      AND NOT EXISTS (SELECT 1 FROM "RelayMessage" a WHERE a."tipId" = q."tipId" AND a."direction" = 'from_tipster' AND a."createdAt" >= q."createdAt")
);
