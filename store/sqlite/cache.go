package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/storybot/storybot/store"
)

// CachedSummary returns the summary stored under key, and whether there is
// one. A miss is not an error.
func (db *DB) CachedSummary(ctx context.Context, key string) (store.Summary, bool, error) {
	st, err := db.prepared(ctx, `SELECT text, model, answered, cited, prompt_tokens, completion_tokens, created FROM summaries WHERE key = ?`)
	if err != nil {
		return store.Summary{}, false, fmt.Errorf("read cached summary: %w", err)
	}
	var (
		s       store.Summary
		created int64
		cited   string
	)
	err = st.QueryRowContext(ctx, key).Scan(&s.Text, &s.Model, &s.Answered, &cited, &s.PromptTokens, &s.CompletionTokens, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Summary{}, false, nil
	}
	if err != nil {
		return store.Summary{}, false, fmt.Errorf("read cached summary: %w", err)
	}
	s.Created = fromUnix(created)
	s.Cited = store.SplitCited(cited)
	return s, true, nil
}

// PutSummary stores s under key, replacing what was there. A zero s.Created
// is stored as now.
func (db *DB) PutSummary(ctx context.Context, key string, s store.Summary) error {
	if key == "" {
		return errors.New("store summary: empty key")
	}
	if s.Created.IsZero() {
		s.Created = db.now()
	}
	st, err := db.prepared(ctx, `INSERT INTO summaries (key, text, model, answered, cited, prompt_tokens, completion_tokens, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET text = excluded.text, model = excluded.model,
			answered = excluded.answered, cited = excluded.cited,
			prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, created = excluded.created`)
	if err != nil {
		return fmt.Errorf("store summary: %w", err)
	}
	if _, err := st.ExecContext(ctx, key, s.Text, s.Model, s.Answered, store.JoinCited(s.Cited), s.PromptTokens, s.CompletionTokens, unix(s.Created)); err != nil {
		return fmt.Errorf("store summary: %w", err)
	}
	return nil
}
