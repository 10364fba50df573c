-- CreateIndex
CREATE INDEX "ReminderLog_tipId_kind_sentAt_idx" ON "ReminderLog"("tipId", "kind", "sentAt");
