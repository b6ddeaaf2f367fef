-- Per-server (guild) settings and the model's use per server, user and day.
-- A server with no row has the defaults. Lists are IDs separated by spaces;
-- a NULL budget is no limit. Times are Unix seconds, UTC.
CREATE TABLE IF NOT EXISTS guild_settings (
	guild_id      TEXT    PRIMARY KEY,
	style         TEXT    NOT NULL DEFAULT '', -- '' means standard
	channels      TEXT    NOT NULL DEFAULT '', -- where storybot answers; '' means everywhere
	model_roles   TEXT    NOT NULL DEFAULT '', -- roles that get the model; '' means everyone
	server_calls  INTEGER,                     -- daily budgets; NULL: no limit
	server_tokens INTEGER,
	user_calls    INTEGER,
	user_tokens   INTEGER,
	feed_channel  TEXT    NOT NULL DEFAULT '', -- new-story posts from feeds; '' means none
	updated       INTEGER NOT NULL,
	updated_by    TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- Model calls that got an answer, and their tokens, per server, user and UTC
-- day (YYYY-MM-DD). Cached replies are not counted: they cost nothing.
CREATE TABLE IF NOT EXISTS model_usage (
	guild_id TEXT    NOT NULL,
	day      TEXT    NOT NULL,
	user_id  TEXT    NOT NULL,
	calls    INTEGER NOT NULL DEFAULT 0,
	tokens   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (guild_id, day, user_id)
) WITHOUT ROWID;
