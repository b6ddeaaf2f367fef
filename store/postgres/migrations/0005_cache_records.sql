-- The cache holds structured records, not text with marker prefixes: whether
-- the record answers its question (an /ask answer may say the stories don't)
-- and which passages it cites (comma-separated citation numbers). Summaries
-- stored before this are answers with no citations, as the defaults say.
ALTER TABLE summaries ADD COLUMN answered boolean NOT NULL DEFAULT true;
ALTER TABLE summaries ADD COLUMN cited text NOT NULL DEFAULT '';
