-- Per-server (guild) settings and the model's use per server, user and day,
-- shared by every replica. A server with no row has the defaults; a NULL
-- budget is no limit.
CREATE TABLE guild_settings (
	guild_id      text        PRIMARY KEY,
	style         text        NOT NULL DEFAULT '',   -- '' means standard
	channels      text[]      NOT NULL DEFAULT '{}', -- where storybot answers; empty means everywhere
	model_roles   text[]      NOT NULL DEFAULT '{}', -- roles that get the model; empty means everyone
	server_calls  bigint,                            -- daily budgets; NULL: no limit
	server_tokens bigint,
	user_calls    bigint,
	user_tokens   bigint,
	feed_channel  text        NOT NULL DEFAULT '',   -- new-story posts from feeds; '' means none
	updated       timestamptz NOT NULL,              -- whole seconds
	updated_by    text        NOT NULL DEFAULT ''
);

-- Model calls that got an answer, and their tokens, per server, user and UTC
-- day (YYYY-MM-DD). Cached replies are not counted: they cost nothing.
CREATE TABLE model_usage (
	guild_id text   NOT NULL,
	day      text   NOT NULL,
	user_id  text   NOT NULL,
	calls    bigint NOT NULL DEFAULT 0,
	tokens   bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (guild_id, day, user_id)
);
