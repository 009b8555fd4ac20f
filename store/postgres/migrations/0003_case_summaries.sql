-- The index by seller and received time (CaseTx.CasesReceived): a row a
-- case, holding the case's summary in the binary form both stores keep
-- (store.EncodeSummary), so that the figures of a period read a hundred
-- bytes a case and never the case itself. PutCase keeps it in step. SQL
-- cannot derive a summary (it depends on the case's history), so the rows
-- of the cases already stored are written by sfpdesk in this migration's
-- transaction, right after this file (fillSummaries).
CREATE TABLE case_summaries (
    number      bigint PRIMARY KEY,
    seller      text COLLATE "C" NOT NULL,
    -- the zero time (a case with no clock) is 0001-01-01, first.
    received_at timestamptz NOT NULL,
    summary     bytea NOT NULL
);
CREATE INDEX case_summaries_received ON case_summaries (seller, received_at, number);
