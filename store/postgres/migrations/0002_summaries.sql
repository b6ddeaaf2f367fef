-- The summary cache, shared by every replica: model-written summaries, keyed
-- by a string that package summarize builds from the story's content hash,
-- the style, the prompt's hash and the model. Only summaries that passed the
-- checks are stored; extractive fallbacks are not.
CREATE TABLE summaries (
	key               text        PRIMARY KEY,
	text              text        NOT NULL,
	model             text        NOT NULL,
	prompt_tokens     integer     NOT NULL DEFAULT 0,
	completion_tokens integer     NOT NULL DEFAULT 0,
	created           timestamptz NOT NULL
);
