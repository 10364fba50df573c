-- The statistics page groups StatsUnit rows by queue × commune (~3,400 groups for the whole
-- country). Without this the planner multiplies the two columns' distinct counts (tens of
-- thousands of groups), so it sorts the rows on disk instead of hashing them in memory.
-- (Planner statistics only: not part of the Prisma schema, filled by ANALYZE or autovacuum.)
CREATE STATISTICS "StatsUnit_queueId_placeCommune_stat" (ndistinct) ON "queueId", "placeCommune" FROM "StatsUnit";
