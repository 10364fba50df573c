-- CreateIndex
CREATE INDEX "Tip_queueId_receivedMonth_idx" ON "Tip"("queueId", "receivedMonth");
