-- SQLite runs one instance and never looks inbox rows up by chat; the index served only the
-- PostgreSQL cluster (see prisma/schema.prisma), and on SQLite it made every webhook INSERT
-- rewrite a random index page in the group commit. PostgreSQL keeps it.
-- DropIndex
DROP INDEX "InboxUpdate_chatKey_status_idx";
