-- The summary cache: model-written summaries, keyed by a string that package
-- summarize builds from the story's content hash, the style, the prompt's hash
-- and the model, so a changed story, prompt or model never finds a stale entry.
-- Only summaries that passed the checks are stored; extractive fallbacks are not.
CREATE TABLE summaries (
	key               TEXT    PRIMARY KEY,
	text              TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	prompt_tokens     INTEGER NOT NULL DEFAULT 0,
	completion_tokens INTEGER NOT NULL DEFAULT 0,
	created           INTEGER NOT NULL  -- Unix seconds, UTC
) WITHOUT ROWID;
