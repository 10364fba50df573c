-- AlterTable (an added column with a default: no table rebuild needed on SQLite)
ALTER TABLE "OutboxMessage" ADD COLUMN "bulkPaid" BOOLEAN NOT NULL DEFAULT false;
