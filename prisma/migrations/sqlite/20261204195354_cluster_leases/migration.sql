-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "epoch" INTEGER NOT NULL DEFAULT 1
);

-- CreateIndex
CREATE INDEX "Lease_holder_idx" ON "Lease"("holder");

-- CreateIndex
CREATE INDEX "InboxUpdate_chatKey_status_idx" ON "InboxUpdate"("chatKey", "status");
