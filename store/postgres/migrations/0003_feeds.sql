-- Feeds (package feed): what storybot remembers between reads of a feed, the
-- entries it has stored, and the stories it posts to Discord channels.
-- Times are whole seconds.
CREATE TABLE feeds (
	url           text        PRIMARY KEY,         -- as configured (FEEDS), not after redirects
	etag          text        NOT NULL DEFAULT '', -- sent back as If-None-Match
	last_modified text        NOT NULL DEFAULT '', -- sent back as If-Modified-Since
	checked       timestamptz,                     -- last read attempt; NULL: never
	ok            timestamptz,                     -- last successful read; NULL: never
	failures      integer     NOT NULL DEFAULT 0,  -- failed reads since the last success
	next_try      timestamptz,                     -- after a failure, not before this (backoff)
	last_error    text        NOT NULL DEFAULT ''
);

-- Entries already stored, by GUID (or Atom id, else link): a known entry's
-- page is not fetched again unless the feed says it was updated.
CREATE TABLE feed_items (
	feed     text        NOT NULL,
	guid     text        NOT NULL,
	story_id text        NOT NULL,
	updated  timestamptz,          -- the entry's updated time when stored
	seen     timestamptz NOT NULL, -- first stored
	PRIMARY KEY (feed, guid)
);

-- Stories to post, and posted, to Discord channels: one row per channel and
-- story, so a story is never queued twice for a channel. State: pending,
-- sending (claimed by a sender), sent, failed (gave up), unsure (storybot
-- stopped while sending; never sent again).
CREATE TABLE posts (
	n        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- queue order
	channel  text        NOT NULL,
	story_id text        NOT NULL,
	state    text        NOT NULL,
	attempts integer     NOT NULL DEFAULT 0,
	note     text        NOT NULL DEFAULT '', -- the message ID once sent, else the last error
	queued   timestamptz NOT NULL,
	changed  timestamptz NOT NULL,
	UNIQUE (channel, story_id)
);
CREATE INDEX posts_state ON posts (state, n);
