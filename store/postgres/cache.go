package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storybot/storybot/store"
)

// CachedSummary returns the summary stored under key, and whether there is
// one. A miss is not an error.
func (db *DB) CachedSummary(ctx context.Context, key string) (store.Summary, bool, error) {
	var (
		s     store.Summary
		cited string
	)
	err := db.pool.QueryRow(ctx, `SELECT text, model, answered, cited, prompt_tokens, completion_tokens, created
		FROM summaries WHERE key = $1`, key).Scan(&s.Text, &s.Model, &s.Answered, &cited, &s.PromptTokens, &s.CompletionTokens, &s.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Summary{}, false, nil
	}
	if err != nil {
		return store.Summary{}, false, fmt.Errorf("read cached summary: %w", err)
	}
	s.Created = s.Created.UTC()
	s.Cited = store.SplitCited(cited)
	return s, true, nil
}

// PutSummary stores s under key, replacing what was there. A zero s.Created
// is stored as now; times are stored in whole seconds.
func (db *DB) PutSummary(ctx context.Context, key string, s store.Summary) error {
	if key == "" {
		return errors.New("store summary: empty key")
	}
	if s.Created.IsZero() {
		s.Created = db.now()
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO summaries (key, text, model, answered, cited, prompt_tokens, completion_tokens, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (key) DO UPDATE SET text = excluded.text, model = excluded.model,
			answered = excluded.answered, cited = excluded.cited,
			prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, created = excluded.created`,
		key, s.Text, s.Model, s.Answered, store.JoinCited(s.Cited), s.PromptTokens, s.CompletionTokens, seconds(s.Created))
	if err != nil {
		return fmt.Errorf("store summary: %w", err)
	}
	return nil
}

// unlockTimeout bounds the release of a key lock, which runs after the
// request that took it may have ended.
const unlockTimeout = 5 * time.Second

// LockKey takes the lock on a summary cache key, shared by every process
// using the database, waiting while another holds it, until ctx ends. The
// caller re-reads the cache, asks the model, stores the summary and then
// calls unlock (once; more calls do nothing), so that replicas make one
// model call per key at a time (generate.KeyLocker).
//
// The lock is a PostgreSQL advisory lock on a 64-bit hash of the key, held
// by a connection of its own, opened for it (a cache miss is followed by a
// model call, which costs far more): a replica that dies releases the lock
// with its connection, and one that hangs holds it only until its waiters'
// contexts end.
func (db *DB) LockKey(ctx context.Context, key string) (unlock func(), err error) {
	_, unlock, err = db.lockKey(ctx, key)
	return unlock, err
}

// HoldKey is LockKey for a lock held for long (the feeds poller's, one
// replica at a time): besides unlock, it returns a context that ends when
// ctx does, when unlock is called, or when the lock's session is found gone
// (checked every `every`: a server restart or an idle-session timeout ends
// it, and the lock with it, without a word), so that the holder stops
// acting on a lock another replica may hold by then.
func (db *DB) HoldKey(ctx context.Context, key string, every time.Duration) (held context.Context, unlock func(), err error) {
	conn, unlockKey, err := db.lockKey(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	held, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-held.Done():
				return
			case <-t.C:
			}
			pctx, pcancel := context.WithTimeout(held, every)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil && held.Err() == nil {
				cancel()
				return
			}
		}
	}()
	var once sync.Once
	return held, func() {
		once.Do(func() {
			cancel()
			<-done // no ping runs on the connection as it closes
			unlockKey()
		})
	}, nil
}

// lockKey takes key's lock on a connection of its own and returns the
// connection with the function that unlocks and closes it.
func (db *DB) lockKey(ctx context.Context, key string) (*pgx.Conn, func(), error) {
	select {
	case db.lockSlot <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("lock summary key: %w", ctx.Err())
	}
	conn, err := pgx.ConnectConfig(ctx, db.lockConn)
	if err != nil {
		<-db.lockSlot
		return nil, nil, fmt.Errorf("lock summary key: %w", err)
	}
	id := keyLockID(key)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, id); err != nil {
		// The lock may have been granted as the wait was cancelled: end
		// the session, which releases whatever it holds.
		closeConn(ctx, conn)
		<-db.lockSlot
		return nil, nil, fmt.Errorf("lock summary key: %w", err)
	}
	var once sync.Once
	return conn, func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, id) // at once; closing would release it soon after
			closeConn(ctx, conn)
			<-db.lockSlot
		})
	}, nil
}

// closeConn closes conn within unlockTimeout, whatever ctx says.
func closeConn(ctx context.Context, conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	conn.Close(ctx)
}

// keyLockID is the advisory lock ID for a summary cache key.
// LockID returns the advisory lock ID LockKey and HoldKey take for key, to
// find the lock in pg_locks (its classid is the high 32 bits, its objid the
// low 32, objsubid 1).
func LockID(key string) int64 { return keyLockID(key) }

func keyLockID(key string) int64 {
	sum := sha256.Sum256([]byte("storybot summary\x00" + key))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}
