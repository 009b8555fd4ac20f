-- An order may have a carrier claim beside its reimbursement claim: the
-- reimbursement policy's one claim per order holds for reimbursement
-- claims only, and a parcel is claimed from its carrier once. A claim
-- stored without a type is a reimbursement claim, as it always was.
ALTER TABLE claims ADD COLUMN type text COLLATE "C" NOT NULL DEFAULT 'reimbursement'
    CONSTRAINT claims_type CHECK (type IN ('reimbursement', 'carrier'));
UPDATE claims SET type = 'carrier' WHERE data->>'type' = 'carrier';
ALTER TABLE claims ALTER COLUMN type DROP DEFAULT;
ALTER TABLE claims DROP CONSTRAINT claims_one_per_order;
ALTER TABLE claims ADD CONSTRAINT claims_one_per_order_and_type UNIQUE (order_id, type);
