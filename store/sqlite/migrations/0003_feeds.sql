-- Feeds (package feed): what storybot remembers between reads of a feed, the
-- entries it has stored, and the stories it posts to Discord channels.
-- Times are Unix seconds, UTC.
CREATE TABLE IF NOT EXISTS feeds (
	url           TEXT    PRIMARY KEY,         -- as configured (FEEDS), not after redirects
	etag          TEXT    NOT NULL DEFAULT '', -- sent back as If-None-Match
	last_modified TEXT    NOT NULL DEFAULT '', -- sent back as If-Modified-Since
	checked       INTEGER,                     -- last read attempt; NULL: never
	ok            INTEGER,                     -- last successful read; NULL: never
	failures      INTEGER NOT NULL DEFAULT 0,  -- failed reads since the last success
	next_try      INTEGER,                     -- after a failure, not before this (backoff)
	last_error    TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- Entries already stored, by GUID (or Atom id, else link): a known entry's
-- page is not fetched again unless the feed says it was updated.
CREATE TABLE IF NOT EXISTS feed_items (
	feed     TEXT    NOT NULL,
	guid     TEXT    NOT NULL,
	story_id TEXT    NOT NULL,
	updated  INTEGER,          -- the entry's updated time when stored
	seen     INTEGER NOT NULL, -- first stored
	PRIMARY KEY (feed, guid)
) WITHOUT ROWID;

-- Stories to post, and posted, to Discord channels: one row per channel and
-- story, so a story is never queued twice for a channel. State: pending,
-- sending (claimed by a sender), sent, failed (gave up), unsure (storybot
-- stopped while sending; never sent again).
CREATE TABLE IF NOT EXISTS posts (
	n        INTEGER PRIMARY KEY,        -- queue order
	channel  TEXT    NOT NULL,
	story_id TEXT    NOT NULL,
	state    TEXT    NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	note     TEXT    NOT NULL DEFAULT '', -- the message ID once sent, else the last error
	queued   INTEGER NOT NULL,
	changed  INTEGER NOT NULL,
	UNIQUE (channel, story_id)
);
CREATE INDEX IF NOT EXISTS posts_state ON posts(state, n);
