-- CreateIndex
CREATE INDEX "StatsCell_channel_month_category_placeProvince_queueProvince_tips_idx" ON "StatsCell"("channel", "month", "category", "placeProvince", "queueProvince", "tips");
