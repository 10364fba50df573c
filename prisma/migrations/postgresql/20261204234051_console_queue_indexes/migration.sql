-- CreateIndex
CREATE INDEX "Queue_communeCode_idx" ON "Queue"("communeCode");

-- CreateIndex
CREATE INDEX "RelayMessage_tipId_direction_id_idx" ON "RelayMessage"("tipId", "direction", "id");

-- CreateIndex
CREATE INDEX "Tip_status_lifeSafety_receivedAt_id_idx" ON "Tip"("status", "lifeSafety" DESC, "receivedAt", "id");

-- CreateIndex
CREATE INDEX "Tip_status_closedAt_id_idx" ON "Tip"("status", "closedAt" DESC, "id");

-- CreateIndex
CREATE INDEX "Tip_status_queueId_closedAt_lifeSafety_receivedAt_id_idx" ON "Tip"("status", "queueId", "closedAt", "lifeSafety", "receivedAt", "id");

-- CreateIndex
CREATE INDEX "Tip_claimedById_status_closedAt_idx" ON "Tip"("claimedById", "status", "closedAt");
