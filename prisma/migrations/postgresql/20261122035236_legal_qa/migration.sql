-- CreateTable
CREATE TABLE "KnowledgeEntry" (
    "id" TEXT NOT NULL,
    "questions" TEXT NOT NULL,
    "answers" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "changed" TEXT,
    "topics" TEXT NOT NULL DEFAULT '[]',
    "reportable" BOOLEAN NOT NULL DEFAULT false,
    "lastReviewed" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "KnowledgeEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "QaFeedback" (
    "id" SERIAL NOT NULL,
    "entryId" TEXT NOT NULL,
    "helpful" BOOLEAN NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QaFeedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LegalQuestion" (
    "id" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "locale" TEXT NOT NULL,
    "replyRefSealed" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "answer" TEXT,
    "answeredBy" TEXT,
    "answeredAt" TIMESTAMP(3),
    "cardOutboxId" INTEGER,
    "entryId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LegalQuestion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "QaFeedback_entryId_idx" ON "QaFeedback"("entryId");
