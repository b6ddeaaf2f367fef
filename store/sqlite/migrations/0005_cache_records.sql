-- The cache holds structured records, not text with marker prefixes: whether
-- the record answers its question (an /ask answer may say the stories don't)
-- and which passages it cites (comma-separated citation numbers). Summaries
-- stored before this are answers with no citations, as the defaults say.
ALTER TABLE summaries ADD COLUMN answered INTEGER NOT NULL DEFAULT 1;
ALTER TABLE summaries ADD COLUMN cited TEXT NOT NULL DEFAULT '';
