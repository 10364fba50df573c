-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "bulkPaid" BOOLEAN NOT NULL DEFAULT false;
