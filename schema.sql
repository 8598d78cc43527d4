-- ticketd: the whole current schema.
--
-- Applied by src/store/schema.rs to an empty database at start-up. A database made by an
-- older release is brought here by the numbered migrations in src/store/migrations/; a test
-- checks that migrating version 1 step by step gives exactly this schema.
--
-- Conventions:
--   * timestamps are TEXT in UTC, RFC 3339 with second precision ('2026-11-27T11:19:55Z'),
--     so that text order is time order;
--   * users and groups share one id space, `principals`, so rights, watchers and group
--     membership can name either (as RT does);
--   * nothing is deleted except by the shredder (`tkt shred`): status 'deleted' hides.

-- Users and groups -----------------------------------------------------------------------

CREATE TABLE principals (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('user', 'group')),
    disabled  INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY REFERENCES principals(id),
    -- login name; users created from mail get their address as name
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email         TEXT UNIQUE COLLATE NOCASE,
    real_name     TEXT NOT NULL DEFAULT '',
    -- staff (privileged) or requestor (unprivileged)
    privileged    INTEGER NOT NULL DEFAULT 0 CHECK (privileged IN (0, 1)),
    password_hash TEXT,
    comments      TEXT NOT NULL DEFAULT '',
    created       TEXT NOT NULL,
    -- the digest of activity on watched tickets the user asked for; NULL: none
    digest        TEXT CHECK (digest IN ('daily', 'weekly')),
    -- the language of their web pages ('de', 'fr', 'en'); NULL: as their browser asks
    lang          TEXT
);

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY REFERENCES principals(id),
    name        TEXT NOT NULL COLLATE NOCASE,
    -- 'system' for Everyone, Privileged, Unprivileged; 'user-defined' for the rest
    domain      TEXT NOT NULL CHECK (domain IN ('system', 'user-defined')),
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (domain, name)
);

-- direct membership only; nested groups are expanded when rights are checked
CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES groups(id),
    member_id INTEGER NOT NULL REFERENCES principals(id),
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
-- the groups a user is in, asked on every request
CREATE INDEX group_members_by_member ON group_members (member_id, group_id);

-- tokens for tkt and the API; only a SHA-256 of the secret is kept
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created     TEXT NOT NULL,
    last_used   TEXT,
    expires     TEXT,
    revoked     TEXT
);

-- Queues -----------------------------------------------------------------------------------

CREATE TABLE queues (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    address         TEXT,
    comment_address TEXT,
    description     TEXT NOT NULL DEFAULT '',
    -- this queue's subject tag name, instead of mail.tag
    subject_tag     TEXT,
    lifecycle       TEXT NOT NULL DEFAULT 'default',
    -- mail from someone who is neither a watcher of the ticket nor staff
    non_watcher_mail TEXT NOT NULL DEFAULT 'comment'
                     CHECK (non_watcher_mail IN ('accept', 'comment', 'refuse')),
    -- whether a ticket may become inactive while tickets it depends on are still active
    resolve_with_open_dependencies INTEGER NOT NULL DEFAULT 0,
    -- whether a parent becomes resolved when its last child does
    resolve_parent_with_children   INTEGER NOT NULL DEFAULT 0,
    -- a requestor's reply to a ticket inactive for longer opens a new ticket; NULL: never
    reopen_window_days             INTEGER,
    -- 'config': defined in the config file, which wins at every start; 'admin': by tkt
    source          TEXT NOT NULL DEFAULT 'admin' CHECK (source IN ('config', 'admin')),
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created         TEXT NOT NULL
);

-- watchers of every ticket in a queue
CREATE TABLE queue_watchers (
    queue_id     INTEGER NOT NULL REFERENCES queues(id),
    role         TEXT NOT NULL CHECK (role IN ('Cc', 'AdminCc')),
    principal_id INTEGER NOT NULL REFERENCES principals(id),
    PRIMARY KEY (queue_id, role, principal_id)
) WITHOUT ROWID;

-- Rights: granted to a principal or to a role (Requestor, Owner, Cc, AdminCc), globally
-- (queue_id NULL) or on one queue.
CREATE TABLE acl (
    id           INTEGER PRIMARY KEY,
    principal_id INTEGER REFERENCES principals(id),
    role         TEXT CHECK (role IN ('Requestor', 'Owner', 'Cc', 'AdminCc')),
    right_name   TEXT NOT NULL,
    queue_id     INTEGER REFERENCES queues(id),
    CHECK ((principal_id IS NULL) <> (role IS NULL))
);
CREATE INDEX acl_by_right ON acl (right_name, queue_id);
CREATE UNIQUE INDEX acl_unique ON acl (COALESCE(principal_id, 0), COALESCE(role, ''), right_name, COALESCE(queue_id, 0));

-- Tickets ----------------------------------------------------------------------------------

CREATE TABLE tickets (
    id               INTEGER PRIMARY KEY,
    -- itself, or the ticket it was merged into
    effective_id     INTEGER NOT NULL,
    queue_id         INTEGER NOT NULL REFERENCES queues(id),
    subject          TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    -- Nobody when unowned
    owner_id         INTEGER NOT NULL REFERENCES users(id),
    priority         INTEGER NOT NULL DEFAULT 0,
    initial_priority INTEGER NOT NULL DEFAULT 0,
    final_priority   INTEGER NOT NULL DEFAULT 0,
    -- minutes
    time_estimated   INTEGER NOT NULL DEFAULT 0,
    time_worked      INTEGER NOT NULL DEFAULT 0,
    time_left        INTEGER NOT NULL DEFAULT 0,
    creator_id       INTEGER NOT NULL REFERENCES users(id),
    created          TEXT NOT NULL,
    last_updated_by  INTEGER NOT NULL REFERENCES users(id),
    updated          TEXT NOT NULL,
    starts           TEXT,
    started          TEXT,
    resolved         TEXT,
    -- last time a requestor was sent a reply
    told             TEXT,
    due              TEXT,
    -- the service level this ticket is held to instead of its queue's; NULL: the queue's
    sla              TEXT
);
-- effective_id makes it cover reports by queue and status (merged tickets are left out)
CREATE INDEX tickets_by_queue_status ON tickets (queue_id, status, priority, effective_id);
-- covering for "the newest unowned" and "my tickets" on the home page
CREATE INDEX tickets_by_owner_status ON tickets (owner_id, status, created, queue_id, effective_id);
CREATE INDEX tickets_by_effective_id ON tickets (effective_id);
-- date ranges and "recently updated" in searches
CREATE INDEX tickets_by_created ON tickets (created);
CREATE INDEX tickets_by_updated ON tickets (updated);
-- a queue's tickets by last update, the commonest of searches
CREATE INDEX tickets_by_queue_updated ON tickets (queue_id, updated);

-- Requestor, Cc and AdminCc of one ticket; the Owner is tickets.owner_id
CREATE TABLE ticket_roles (
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    role         TEXT NOT NULL CHECK (role IN ('Requestor', 'Cc', 'AdminCc')),
    principal_id INTEGER NOT NULL REFERENCES principals(id),
    PRIMARY KEY (ticket_id, role, principal_id)
) WITHOUT ROWID;
CREATE INDEX ticket_roles_by_principal ON ticket_roles (principal_id, role);

CREATE TABLE links (
    id         INTEGER PRIMARY KEY,
    base_id    INTEGER NOT NULL REFERENCES tickets(id),
    type       TEXT NOT NULL CHECK (type IN ('DependsOn', 'MemberOf', 'RefersTo')),
    -- a ticket here, or an outside URI
    target_id  INTEGER REFERENCES tickets(id),
    target_uri TEXT,
    creator_id INTEGER NOT NULL REFERENCES users(id),
    created    TEXT NOT NULL,
    CHECK ((target_id IS NULL) <> (target_uri IS NULL))
);
CREATE UNIQUE INDEX links_unique ON links (base_id, type, target_id);
CREATE INDEX links_by_target ON links (target_id, type);

CREATE TABLE custom_fields (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL COLLATE NOCASE,
    type      TEXT NOT NULL CHECK (type IN ('text', 'select', 'multiselect', 'date', 'integer')),
    -- NULL: global
    queue_id  INTEGER REFERENCES queues(id),
    -- JSON array of allowed values for the select types
    allowed   TEXT,
    disabled  INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    UNIQUE (name, queue_id)
);

CREATE TABLE ticket_custom_field_values (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER NOT NULL REFERENCES tickets(id),
    custom_field_id INTEGER NOT NULL REFERENCES custom_fields(id),
    value           TEXT NOT NULL
);
CREATE INDEX ticket_cf_values_by_ticket ON ticket_custom_field_values (ticket_id, custom_field_id);

-- History ----------------------------------------------------------------------------------

-- every message as the MTA handed it over, byte for byte
CREATE TABLE raw_messages (
    id       INTEGER PRIMARY KEY,
    received TEXT NOT NULL,
    queue    TEXT NOT NULL,
    action   TEXT NOT NULL,
    sha256   TEXT NOT NULL,
    -- empty when the bytes are a blob (a large message, written ahead in chunks)
    bytes    BLOB NOT NULL,
    blob_id  INTEGER REFERENCES blobs(id)
);
CREATE INDEX raw_messages_by_blob ON raw_messages (blob_id) WHERE blob_id IS NOT NULL;

CREATE TABLE transactions (
    id             INTEGER PRIMARY KEY,
    ticket_id      INTEGER NOT NULL REFERENCES tickets(id),
    -- Create, Correspond, Comment, Status, Set, AddWatcher, DelWatcher, SystemError, ...
    type           TEXT NOT NULL,
    field          TEXT,
    old_value      TEXT,
    new_value      TEXT,
    -- the decoded text: the message body for mail (HTML converted), the note otherwise
    content        TEXT NOT NULL DEFAULT '',
    -- minutes worked, added to tickets.time_worked
    time_taken     INTEGER NOT NULL DEFAULT 0,
    creator_id     INTEGER NOT NULL REFERENCES users(id),
    created        TEXT NOT NULL,
    -- set when the transaction came from mail
    raw_message_id INTEGER REFERENCES raw_messages(id),
    -- the ticket its ticket was merged into (tickets.effective_id); NULL while that ticket
    -- stands alone. Kept by the store on merge, so that a content search finds the
    -- surviving ticket without joining tickets for every matching transaction.
    merged_into    INTEGER REFERENCES tickets(id)
);
CREATE INDEX transactions_by_ticket ON transactions (ticket_id, id);

-- the MIME tree of a transaction's message, one row per part; content is decoded (UTF-8
-- for text parts, bytes otherwise) and NULL for multipart containers
CREATE TABLE attachments (
    id             INTEGER PRIMARY KEY,
    transaction_id INTEGER NOT NULL REFERENCES transactions(id),
    parent_id      INTEGER REFERENCES attachments(id),
    message_id     TEXT,
    subject        TEXT,
    filename       TEXT,
    content_type   TEXT NOT NULL,
    headers        TEXT NOT NULL DEFAULT '',
    content        BLOB,
    size           INTEGER NOT NULL DEFAULT 0,
    -- set (and content NULL) when the content is a blob: a large part, written ahead
    blob_id        INTEGER REFERENCES blobs(id)
);
CREATE INDEX attachments_by_transaction ON attachments (transaction_id);
CREATE INDEX attachments_by_blob ON attachments (blob_id) WHERE blob_id IS NOT NULL;

-- Large raw messages and MIME parts (over a MiB), written in chunks of a MiB, each in a
-- transaction of its own, before the message's own transaction refers to them: so no one
-- delivery holds the single writer for long, however large it is. A blob is `kept` from the
-- transaction that refers to it; one never kept (its delivery failed or was a duplicate,
-- its client gave up, ticketd stopped) is removed at start.
CREATE TABLE blobs (
    id      INTEGER PRIMARY KEY,
    size    INTEGER NOT NULL,
    created TEXT NOT NULL,
    kept    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE blob_chunks (
    id      INTEGER PRIMARY KEY,
    blob_id INTEGER NOT NULL REFERENCES blobs(id),
    seq     INTEGER NOT NULL,
    data    BLOB NOT NULL,
    UNIQUE (blob_id, seq)
);

-- full-text index of transactions.content (rowid = transactions.id), kept by triggers
CREATE VIRTUAL TABLE transaction_text USING fts5 (
    content,
    content = 'transactions',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER transactions_text_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO transaction_text (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER transactions_text_delete AFTER DELETE ON transactions BEGIN
    INSERT INTO transaction_text (transaction_text, rowid, content) VALUES ('delete', old.id, old.content);
END;

-- Mail bookkeeping -------------------------------------------------------------------------

-- every Message-ID ticketd stored ('in') or sent ('out'), for threading replies whose
-- subject lost the tag
CREATE TABLE message_ids (
    message_id     TEXT PRIMARY KEY,
    ticket_id      INTEGER NOT NULL REFERENCES tickets(id),
    transaction_id INTEGER REFERENCES transactions(id),
    direction      TEXT NOT NULL CHECK (direction IN ('in', 'out'))
) WITHOUT ROWID;

-- one row per message accepted from the MTA, keyed on its Message-ID and a hash of its
-- stable content (the hash alone without a Message-ID), so that a redelivery is
-- recognised and not stored twice
CREATE TABLE seen_messages (
    key            TEXT PRIMARY KEY,
    first_seen     TEXT NOT NULL,
    ticket_id      INTEGER REFERENCES tickets(id),
    transaction_id INTEGER REFERENCES transactions(id),
    quarantine_id  INTEGER REFERENCES quarantine(id)
) WITHOUT ROWID;

-- messages whose processing failed; the admin lists and retries them
CREATE TABLE quarantine (
    id             INTEGER PRIMARY KEY,
    received       TEXT NOT NULL,
    raw_message_id INTEGER NOT NULL REFERENCES raw_messages(id),
    -- JSON of the delivery: queue, action, ticket hint
    delivery       TEXT NOT NULL,
    error          TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('held', 'released')),
    attempts       INTEGER NOT NULL DEFAULT 1,
    ticket_id      INTEGER REFERENCES tickets(id)
);

-- outgoing mail, written in the same transaction as the change that causes it
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    ticket_id      INTEGER REFERENCES tickets(id),
    transaction_id INTEGER REFERENCES transactions(id),
    -- which rule made it: autoreply, notify-requestors, notify-admincc, ...
    kind           TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    envelope_from  TEXT NOT NULL,
    -- JSON array of addresses
    recipients     TEXT NOT NULL,
    message        BLOB NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_attempt   TEXT NOT NULL,
    last_error     TEXT,
    created        TEXT NOT NULL,
    sent           TEXT,
    -- a webhook (rule action `webhook`): `message` is the JSON POSTed to this URL;
    -- NULL for mail
    webhook_url    TEXT,
    webhook_timeout_secs INTEGER,
    -- the daemon delivering it now (a random id per start) and until when: a daemon takes
    -- a pending message only when no live claim is on it, so one message is sent once
    -- however many daemons send
    claimed_by     TEXT,
    claimed_until  TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt);

-- autoreplies sent, for the per-sender rate limit
CREATE TABLE autoreply_log (
    address TEXT NOT NULL COLLATE NOCASE,
    sent    TEXT NOT NULL
);
CREATE INDEX autoreply_log_by_address ON autoreply_log (address, sent);

-- mail about a ticket per address (held: held back over the limit), for the per-ticket
-- notification rate limit
CREATE TABLE notification_log (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    address   TEXT NOT NULL COLLATE NOCASE,
    sent      TEXT NOT NULL,
    held      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notification_log_by_ticket ON notification_log (ticket_id, address, sent);

CREATE TABLE saved_searches (
    id       INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES principals(id),
    name     TEXT NOT NULL,
    query    TEXT NOT NULL,
    UNIQUE (owner_id, name)
);

-- Built-in principals (ids fixed: the code refers to them) --------------------------------

INSERT INTO principals (id, kind) VALUES (1, 'user'), (2, 'user'), (3, 'user'),
                                         (4, 'group'), (5, 'group'), (6, 'group');
INSERT INTO users (id, name, real_name, privileged, created) VALUES
    (1, 'RT_System', 'The ticketd system itself', 1, '1970-01-01T00:00:00Z'),
    (2, 'Nobody', 'Nobody in particular', 0, '1970-01-01T00:00:00Z'),
    (3, 'root', 'Enoch Root', 1, '1970-01-01T00:00:00Z');
INSERT INTO groups (id, name, domain, description) VALUES
    (4, 'Everyone', 'system', 'Every user'),
    (5, 'Privileged', 'system', 'Staff'),
    (6, 'Unprivileged', 'system', 'Requestors and other outside users');

-- The default grants (rights::default_grants; `tkt admin init` restores them): root is the
-- superuser; Everyone may create tickets and reply; requestors see and reply to their own
-- tickets; staff (Privileged) work every queue.
INSERT INTO acl (principal_id, role, right_name) VALUES
    (3, NULL, 'SuperUser'),
    (4, NULL, 'CreateTicket'),
    (4, NULL, 'ReplyToTicket'),
    (NULL, 'Requestor', 'ShowTicket'),
    (NULL, 'Requestor', 'ReplyToTicket'),
    (5, NULL, 'SeeQueue'),
    (5, NULL, 'CreateTicket'),
    (5, NULL, 'ShowTicket'),
    (5, NULL, 'ShowTicketComments'),
    (5, NULL, 'ReplyToTicket'),
    (5, NULL, 'CommentOnTicket'),
    (5, NULL, 'OwnTicket'),
    (5, NULL, 'TakeTicket'),
    (5, NULL, 'StealTicket'),
    (5, NULL, 'ModifyTicket'),
    (5, NULL, 'ModifyTicketStatus'),
    (5, NULL, 'Watch'),
    (5, NULL, 'WatchAsAdminCc'),
    (5, NULL, 'ShowTemplate');

-- alert queues: the ticket each alerting host/service is on, and how often it alerted
CREATE TABLE alert_keys (
    queue_id    INTEGER NOT NULL REFERENCES queues(id),
    key         TEXT NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    problems    INTEGER NOT NULL DEFAULT 0,
    last_state  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    -- when a recovery last resolved its ticket: the flap window counts from here
    recovered   TEXT,
    PRIMARY KEY (queue_id, key)
);
CREATE INDEX alert_keys_by_ticket ON alert_keys (ticket_id);

-- Scheduler ---------------------------------------------------------------------------

-- every run of a scheduled job; a successful run of a job for a slot happens once
CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY,
    job         TEXT NOT NULL,
    -- the scheduled instant the run is for; for a run asked for by hand, that instant
    slot        TEXT NOT NULL,
    -- on ticketd's clock
    started     TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    -- 'interrupted': stopped between steps by a shutdown; the slot runs again at start
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'interrupted')),
    -- what it did, or why it failed or stopped
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX job_runs_once ON job_runs (job, slot) WHERE outcome = 'ok';
CREATE INDEX job_runs_by_job ON job_runs (job, id);

-- API ---------------------------------------------------------------------------------

-- the answers to API writes sent with an Idempotency-Key, kept a day: a retry with the
-- same key gets the first answer and changes nothing
CREATE TABLE idempotency_keys (
    user_id INTEGER NOT NULL REFERENCES users(id),
    key     TEXT NOT NULL,
    -- a SHA-256 of the request (method, path, body): a key names one request
    request TEXT NOT NULL,
    -- JSON
    answer  TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_created ON idempotency_keys (created);

-- web sessions: only a SHA-256 of the cookie's secret, like API tokens; a session ends
-- when unused for web.session_idle_minutes or web.session_max_hours after the login
CREATE TABLE web_sessions (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created    TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

-- one-time links to set a web password ("set your password" mail to new staff): only a
-- SHA-256 of the link's secret; used once, then deleted
CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    expires    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX password_links_by_user ON password_links (user_id);

-- failed web logins, per account and per client address, for throttling; kept a day
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);

-- how many tickets each queue holds in each status (merged tickets left out), kept by
-- triggers so that the home page's counts need not count a million rows on every load
CREATE TABLE ticket_counts (
    queue_id INTEGER NOT NULL,
    status   TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (queue_id, status)
) WITHOUT ROWID;
CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets WHEN NEW.id = NEW.effective_id
BEGIN
    INSERT INTO ticket_counts VALUES (NEW.queue_id, NEW.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets WHEN OLD.id = OLD.effective_id
BEGIN
    UPDATE ticket_counts SET n = n - 1 WHERE queue_id = OLD.queue_id AND status = OLD.status;
END;
CREATE TRIGGER ticket_counts_update AFTER UPDATE OF queue_id, status, effective_id ON tickets
BEGIN
    UPDATE ticket_counts SET n = n - 1
        WHERE OLD.id = OLD.effective_id AND queue_id = OLD.queue_id AND status = OLD.status;
    INSERT INTO ticket_counts SELECT NEW.queue_id, NEW.status, 1 WHERE NEW.id = NEW.effective_id
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- secret addresses of feeds (Atom, iCalendar) of a search, each a user's: only a SHA-256
-- of the secret is kept; a feed shows what its user may see, until it is revoked. A feed
-- of a saved search (search_id) follows that search's query as it is changed and goes
-- with it; `query` is then the query it was made with.
CREATE TABLE feeds (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    created    TEXT NOT NULL,
    search_id  INTEGER REFERENCES saved_searches(id)
);
CREATE INDEX feeds_by_search ON feeds (search_id) WHERE search_id IS NOT NULL;
CREATE INDEX feeds_by_user ON feeds (user_id);

-- one-time links that sign a requestor in to the self-service portal, mailed on request:
-- only a SHA-256 of the link's secret; used once, then deleted; minutes long
CREATE TABLE signin_links (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    expires    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX signin_links_by_user ON signin_links (user_id);

-- a job's slot being run, by which daemon and until when: one run per slot across daemons
CREATE TABLE job_claims (
    job    TEXT NOT NULL,
    slot   TEXT NOT NULL,
    owner  TEXT NOT NULL,
    until  TEXT NOT NULL,
    PRIMARY KEY (job, slot)
) WITHOUT ROWID;

PRAGMA user_version = 10;
