-- Replies owed to buyers by e-mail, sent one at a time per seller's
-- mailbox, oldest first.
CREATE SEQUENCE mail_out_ids;
CREATE TABLE mail_out (
    id     bigint PRIMARY KEY,
    seller text COLLATE "C" NOT NULL,
    state  text NOT NULL,
    data   json NOT NULL
);
CREATE INDEX mail_out_pending ON mail_out (seller, id) WHERE state = 'pending';
CREATE TRIGGER mail_out_wake AFTER INSERT OR UPDATE ON mail_out
    FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION sfpdesk_wake();
