-- CreateIndex
CREATE INDEX "Delivery_status_id_idx" ON "Delivery"("status", "id");
