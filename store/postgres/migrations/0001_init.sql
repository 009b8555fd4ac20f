-- The first schema. Records are JSON as the bbolt store keeps them (json,
-- not jsonb: json keeps the text as written and accepts every string Go
-- writes, \u0000 included); the columns beside them are what the indexes
-- need. Free text that is not JSON (event details, seen keys) is bytea:
-- text refuses a NUL byte, and a buyer may send one.

CREATE TABLE counters (
    name  text COLLATE "C" PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO counters (name, value) VALUES ('claim', 1001);

-- Case numbers come from a sequence: no two replicas get the same one, and
-- none waits for another's transaction to take it.
CREATE SEQUENCE case_numbers START 1001 MINVALUE 1;

CREATE TABLE cases (
    number      bigint PRIMARY KEY,
    seller      text COLLATE "C" NOT NULL,
    kind        text COLLATE "C" NOT NULL,
    order_id    text COLLATE "C",
    is_open     boolean NOT NULL,
    received_at timestamptz,
    data        json NOT NULL
);
CREATE INDEX cases_by_order ON cases (order_id, number) WHERE order_id IS NOT NULL;
CREATE INDEX cases_open_by_seller ON cases (seller, number) WHERE is_open;

-- A case's card and CS-side thread.
CREATE TABLE case_messages (
    channel text COLLATE "C" NOT NULL,
    ts      text COLLATE "C" NOT NULL,
    number  bigint NOT NULL,
    PRIMARY KEY (channel, ts)
);
CREATE INDEX case_messages_by_case ON case_messages (number);

-- A case's history, an event a row: a reply adds a row rather than
-- rewriting the case.
CREATE TABLE events (
    number    bigint NOT NULL,
    seq       integer NOT NULL,
    at        timestamptz NOT NULL,
    -- what timestamptz cannot hold: the nanoseconds below the microsecond
    -- and the offset the time was written in.
    at_nanos  integer NOT NULL,
    at_offset integer NOT NULL,
    type      text NOT NULL,
    by_id     text NOT NULL,
    detail    bytea NOT NULL,
    PRIMARY KEY (number, seq)
);

CREATE TABLE sellers (
    name text COLLATE "C" PRIMARY KEY,
    data json NOT NULL
);

CREATE TABLE seen (
    space text COLLATE "C" NOT NULL,
    key   bytea NOT NULL,
    value bytea NOT NULL,
    at    timestamptz NOT NULL,
    PRIMARY KEY (space, key)
);
CREATE INDEX seen_by_age ON seen (space, at);

CREATE TABLE due (
    at       timestamptz NOT NULL,
    case_id  text COLLATE "C" NOT NULL,
    kind     text COLLATE "C" NOT NULL,
    detail   text COLLATE "C" NOT NULL,
    entry    json NOT NULL,
    PRIMARY KEY (at, case_id, kind, detail)
);
CREATE INDEX due_by_case ON due (case_id);

CREATE SEQUENCE outbox_ids;
CREATE TABLE outbox (
    id      bigint PRIMARY KEY,
    case_id text COLLATE "C" NOT NULL,
    channel text COLLATE "C" NOT NULL,
    state   text NOT NULL,
    data    json NOT NULL,
    blocks  json
);
CREATE INDEX outbox_pending ON outbox (channel, id) WHERE state = 'pending';
CREATE INDEX outbox_by_case ON outbox (case_id, id) WHERE case_id <> '';

CREATE SEQUENCE callback_ids;
CREATE TABLE callbacks (
    id         bigint PRIMARY KEY,
    case_id    text COLLATE "C" NOT NULL,
    state      text NOT NULL,
    not_before timestamptz NOT NULL,
    data       json NOT NULL
);
CREATE INDEX callbacks_pending ON callbacks (not_before, id) WHERE state = 'pending';
CREATE INDEX callbacks_by_case ON callbacks (case_id, id);

-- The reimbursement policy's one claim per order is the unique constraint.
CREATE TABLE claims (
    number   bigint PRIMARY KEY,
    order_id text COLLATE "C" NOT NULL CONSTRAINT claims_one_per_order UNIQUE,
    seller   text COLLATE "C" NOT NULL,
    is_open  boolean NOT NULL,
    data     json NOT NULL
);
CREATE INDEX claims_open_by_seller ON claims (seller, number) WHERE is_open;

-- A commit that leaves work for the workers (a pending message, a due
-- entry, a pending callback) wakes the leader, whichever replica wrote it:
-- NOTIFY is delivered at commit, once however many rows asked for it.
CREATE FUNCTION sfpdesk_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sfpdesk_wake', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_wake AFTER INSERT OR UPDATE ON outbox
    FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION sfpdesk_wake();
CREATE TRIGGER callbacks_wake AFTER INSERT OR UPDATE ON callbacks
    FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION sfpdesk_wake();
CREATE TRIGGER due_wake AFTER INSERT ON due
    FOR EACH ROW EXECUTE FUNCTION sfpdesk_wake();
