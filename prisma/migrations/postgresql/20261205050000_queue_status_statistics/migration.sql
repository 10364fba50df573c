-- The status of the queue tables (stored updates, outgoing messages, campaign deliveries) is kept
-- out of the planner statistics. Statistics gathered while a queue is drained (its usual state when
-- autovacuum analyses it) say that no row is pending: with them the planner takes the
-- ("status", "id") index for any condition on pending rows, also to find a handful of rows by id or
-- the pending rows of one chat, and then walks every pending row of a backlog for every group of
-- updates processed (measured: 1,331 buffers a call instead of 98 with a backlog of 12,000 updates,
-- about 5,000 in a benchmark run, which made the database CPU per update vary threefold between
-- runs). Without statistics an equality on the column counts as selective but not empty (0.5 % of
-- the rows), and the planner takes the index made for each query (the primary key, or the chat index).
ALTER TABLE "InboxUpdate" ALTER COLUMN "status" SET STATISTICS 0;
ALTER TABLE "OutboxMessage" ALTER COLUMN "status" SET STATISTICS 0;
ALTER TABLE "Delivery" ALTER COLUMN "status" SET STATISTICS 0;
-- Statistics already gathered stay until the type of the column is set (to the same type: no rewrite).
ALTER TABLE "InboxUpdate" ALTER COLUMN "status" SET DATA TYPE TEXT;
ALTER TABLE "OutboxMessage" ALTER COLUMN "status" SET DATA TYPE TEXT;
ALTER TABLE "Delivery" ALTER COLUMN "status" SET DATA TYPE TEXT;
