-- Stories and their full-text index.
CREATE TABLE stories (
	n         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- insertion order
	id        text        NOT NULL UNIQUE,    -- the short ID users type
	title     text        NOT NULL,
	title_key text COLLATE "C" NOT NULL,      -- lower-cased title, for prefix lookup (byte order)
	body      text        NOT NULL,
	url       text        NOT NULL DEFAULT '',
	author    text        NOT NULL DEFAULT '',
	source    text        NOT NULL DEFAULT '',
	published timestamptz NOT NULL,           -- whole seconds
	updated   timestamptz,                    -- NULL when never updated
	hash      text        NOT NULL,           -- SHA-256 of title and body
	ingested  timestamptz NOT NULL,           -- first stored
	changed   timestamptz NOT NULL,           -- last added or updated
	-- The full-text document: English stemming and stop words, the title
	-- weighted A and the body B, so ranking can weigh a title match more.
	search    tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
	) STORED,
	-- The title's words alone, for autocomplete's word-prefix lookup: a
	-- prefix of a title word found through search's index would have to be
	-- checked against every story whose body has a word with that prefix.
	title_words tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED
);
CREATE UNIQUE INDEX stories_url ON stories (url) WHERE url <> '';
CREATE INDEX stories_hash ON stories (hash);
CREATE INDEX stories_published ON stories (published, n);
-- Serves both the title-prefix lookup and finding a story by title and time.
CREATE INDEX stories_title_key ON stories (title_key, published);
CREATE INDEX stories_search ON stories USING gin (search);
CREATE INDEX stories_title_words ON stories USING gin (title_words);
