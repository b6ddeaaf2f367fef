package main

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/ingest"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store/postgres"
	"github.com/storybot/storybot/store/sqlite"
)

// storyStore is what the commands need of a store. Both backends have it:
// SQLite for one process, PostgreSQL for replicas sharing a database.
type storyStore interface {
	bot.Stories // Get, Search, Latest, Titles
	ingest.Putter
	generate.Cache
	retrieve.Index
	feedStore
	Count(ctx context.Context) (int, error)
	Ping(ctx context.Context) error
	Close() error
}

var (
	_ storyStore = (*sqlite.DB)(nil)
	_ storyStore = (*postgres.DB)(nil)
	// Replicas sharing PostgreSQL make one model call per summary.
	_ generate.KeyLocker = (*postgres.DB)(nil)
)

// open opens the store --db or DATABASE_URL names: PostgreSQL for a
// postgres:// or postgresql:// URL, else a SQLite file. Errors never show
// a password.
func (sf *storeFlags) open(ctx context.Context, env *Env) (storyStore, error) {
	if v, from := dbSetting(sf.db, env.Getenv); isPostgres(v) {
		db, err := postgres.Open(ctx, v)
		var perr *pgconn.ParseConfigError
		if errors.As(err, &perr) {
			return nil, usagef("%s: %v", from, err)
		}
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	path, err := dbPath(sf.db, env.Getenv)
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, path)
}
