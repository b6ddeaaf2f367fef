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
CREATE INDEX stories_title_published ON stories(title, published);
CREATE INDEX stories_hash ON stories(hash);
CREATE INDEX stories_published ON stories(published);
CREATE INDEX stories_title_key ON stories(title_key);

CREATE VIRTUAL TABLE stories_fts USING fts5(
	title, body,
	content = 'stories', content_rowid = 'n',
	tokenize = 'porter unicode61 remove_diacritics 2',
	prefix = '2 3'
);
CREATE TRIGGER stories_ai AFTER INSERT ON stories BEGIN
	INSERT INTO stories_fts(rowid, title, body) VALUES (new.n, new.title, new.body);
END;
CREATE TRIGGER stories_ad AFTER DELETE ON stories BEGIN
	INSERT INTO stories_fts(stories_fts, rowid, title, body) VALUES ('delete', old.n, old.title, old.body);
END;
CREATE TRIGGER stories_au AFTER UPDATE OF title, body ON stories BEGIN
	INSERT INTO stories_fts(stories_fts, rowid, title, body) VALUES ('delete', old.n, old.title, old.body);
	INSERT INTO stories_fts(rowid, title, body) VALUES (new.n, new.title, new.body);
END;
