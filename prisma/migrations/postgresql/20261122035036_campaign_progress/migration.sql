-- AlterTable
ALTER TABLE "CampaignRun" ADD COLUMN     "progressOutboxId" INTEGER;
