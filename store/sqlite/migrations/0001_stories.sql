-- Stories and their full-text index.
CREATE TABLE stories (
	n         INTEGER PRIMARY KEY,       -- the full-text index's rowid
	id        TEXT    NOT NULL UNIQUE,   -- the short ID users type
	title     TEXT    NOT NULL,
	title_key TEXT    NOT NULL,          -- lower-cased title, for prefix lookup
	body      TEXT    NOT NULL,
	url       TEXT    NOT NULL DEFAULT '',
	author    TEXT    NOT NULL DEFAULT '',
	source    TEXT    NOT NULL DEFAULT '',
	published INTEGER NOT NULL,          -- Unix seconds, UTC
	updated   INTEGER,                   -- Unix seconds, UTC; NULL when never updated
	hash      TEXT    NOT NULL,          -- SHA-256 of title and body
	ingested  INTEGER NOT NULL,          -- Unix seconds: first stored
	changed   INTEGER NOT NULL           -- Unix seconds: last added or updated
);
CREATE UNIQUE INDEX stories_url ON stories(url) WHERE url <> '';
CREATE INDEX stories_hash ON stories(hash);
CREATE INDEX stories_published ON stories(published);
-- Serves both the title-prefix lookup and finding a story by title and time.
CREATE INDEX stories_title_key ON stories(title_key, published);

CREATE VIRTUAL TABLE stories_fts USING fts5(
	title, body,
	content = 'stories', content_rowid = 'n',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
-- The index is kept up to date by the Go code, not by triggers: a trigger
-- would make FTS5 flush its in-memory index to disk for every row, but one
-- INSERT ... SELECT at the end of a batch flushes once.
-- Merge index segments less eagerly: faster bulk ingest, a little more work per query.
INSERT INTO stories_fts(stories_fts, rank) VALUES ('automerge', 16);
