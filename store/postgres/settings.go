package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storybot/storybot/store"
)

// selectSettings reads one server's settings row (scanSettings).
const selectSettings = `SELECT style, channels, model_roles, server_calls, server_tokens, user_calls, user_tokens,
	feed_channel, updated, updated_by FROM guild_settings WHERE guild_id = $1`

// GuildSettings returns the settings of the server guildID: the defaults
// (store.Settings with only GuildID set) when it never changed them.
func (db *DB) GuildSettings(ctx context.Context, guildID string) (store.Settings, error) {
	return scanSettings(db.pool.QueryRow(ctx, selectSettings, guildID), guildID)
}

// scanSettings reads the row of selectSettings for server guildID.
func scanSettings(row pgx.Row, guildID string) (store.Settings, error) {
	s := store.Settings{GuildID: guildID}
	var limits [4]*int64
	err := row.Scan(&s.Style, &s.Channels, &s.ModelRoles, &limits[0], &limits[1], &limits[2], &limits[3], &s.FeedChannel, &s.Updated, &s.UpdatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings of server %s: %w", guildID, err)
	}
	if len(s.Channels) == 0 {
		s.Channels = nil
	}
	if len(s.ModelRoles) == 0 {
		s.ModelRoles = nil
	}
	b := &s.Budget
	for i, l := range []*store.Limit{&b.ServerCalls, &b.ServerTokens, &b.UserCalls, &b.UserTokens} {
		if limits[i] != nil {
			*l = store.Cap(*limits[i])
		}
	}
	s.Updated = s.Updated.UTC()
	return s, nil
}

// execer runs a statement: the pool, or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// PutGuildSettings stores s as the settings of server s.GuildID, replacing
// what was there. A zero s.Updated is stored as now.
func (db *DB) PutGuildSettings(ctx context.Context, s store.Settings) error {
	return db.putSettings(ctx, db.pool, s)
}

func (db *DB) putSettings(ctx context.Context, ex execer, s store.Settings) error {
	if s.GuildID == "" {
		return errors.New("store settings: no server ID")
	}
	if s.Updated.IsZero() {
		s.Updated = db.now()
	}
	b := s.Budget
	_, err := ex.Exec(ctx, `INSERT INTO guild_settings (guild_id, style, channels, model_roles,
			server_calls, server_tokens, user_calls, user_tokens, feed_channel, updated, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (guild_id) DO UPDATE SET style = excluded.style, channels = excluded.channels,
			model_roles = excluded.model_roles, server_calls = excluded.server_calls,
			server_tokens = excluded.server_tokens, user_calls = excluded.user_calls,
			user_tokens = excluded.user_tokens, feed_channel = excluded.feed_channel,
			updated = excluded.updated, updated_by = excluded.updated_by`,
		s.GuildID, s.Style, nonNil(s.Channels), nonNil(s.ModelRoles),
		limit(b.ServerCalls), limit(b.ServerTokens), limit(b.UserCalls), limit(b.UserTokens),
		s.FeedChannel, seconds(s.Updated), s.UpdatedBy)
	if err != nil {
		return fmt.Errorf("store settings of server %s: %w", s.GuildID, err)
	}
	return nil
}

// UpdateGuildSettings changes the settings of server guildID in one
// transaction, so that changes made at the same time are all kept: apply
// gets the stored settings (the defaults when none are stored) and
// changes them, and what it leaves is stored and returned. When apply
// returns an error nothing is stored and the error is returned as it is.
// A zero Updated is stored as now.
func (db *DB) UpdateGuildSettings(ctx context.Context, guildID string, apply func(*store.Settings) error) (store.Settings, error) {
	var s store.Settings
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// A row to lock: a server without one gets it now (rolled back
		// with the rest when apply fails). Another transaction's new row
		// is waited for, then locked.
		tag, err := tx.Exec(ctx, `INSERT INTO guild_settings (guild_id, updated) VALUES ($1, $2) ON CONFLICT (guild_id) DO NOTHING`,
			guildID, seconds(db.now()))
		if err != nil {
			return fmt.Errorf("change settings of server %s: %w", guildID, err)
		}
		if tag.RowsAffected() == 1 {
			s = store.Settings{GuildID: guildID} // the defaults
		} else if s, err = scanSettings(tx.QueryRow(ctx, selectSettings+` FOR UPDATE`, guildID), guildID); err != nil {
			return err
		}
		if err := apply(&s); err != nil {
			return err
		}
		s.GuildID = guildID
		if s.Updated.IsZero() {
			s.Updated = db.now()
		}
		return db.putSettings(ctx, tx, s)
	})
	if err != nil {
		return store.Settings{}, err
	}
	return s, nil
}

// limit is l's number, or NULL for no limit.
func limit(l store.Limit) *int64 {
	if !l.Set {
		return nil
	}
	return &l.N
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// FeedChannels returns the feed channel of every server that set one, by
// server ID.
func (db *DB) FeedChannels(ctx context.Context) (map[string]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT guild_id, feed_channel FROM guild_settings WHERE feed_channel <> ''`)
	if err != nil {
		return nil, fmt.Errorf("read feed channels: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var g, ch string
		if err := rows.Scan(&g, &ch); err != nil {
			return nil, fmt.Errorf("read feed channels: %w", err)
		}
		out[g] = ch
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read feed channels: %w", err)
	}
	return out, nil
}

// addUsage adds to a user's use of a day (AddUsage).
const addUsage = `INSERT INTO model_usage (guild_id, day, user_id, calls, tokens) VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (guild_id, day, user_id) DO UPDATE
	SET calls = model_usage.calls + excluded.calls, tokens = model_usage.tokens + excluded.tokens`

// usageOn reads a server's and a user's use of a day (UsageOn).
const usageOn = `SELECT coalesce(sum(calls), 0), coalesce(sum(tokens), 0),
		coalesce(sum(calls) FILTER (WHERE user_id = $1), 0), coalesce(sum(tokens) FILTER (WHERE user_id = $1), 0)
	FROM model_usage WHERE guild_id = $2 AND day = $3`

// lockUsage is the first key of the advisory lock a model call's
// reservation holds on a server (the second is a hash of its ID): one
// reservation at a time per server, on every replica.
const lockUsage = 0x75736167 // "usag"

// AddUsage adds calls and tokens to what user userID used on server
// guildID on day (store.Day). calls may be negative: -1 gives back a
// call counted by ReserveCall.
func (db *DB) AddUsage(ctx context.Context, guildID, userID, day string, calls, tokens int64) error {
	if _, err := db.pool.Exec(ctx, addUsage, guildID, day, userID, calls, tokens); err != nil {
		return fmt.Errorf("record model usage: %w", err)
	}
	return nil
}

// UsageOn returns what server guildID used on day, in all and by userID.
func (db *DB) UsageOn(ctx context.Context, guildID, userID, day string) (server, user store.Usage, err error) {
	server.Day, user.Day = day, day
	err = db.pool.QueryRow(ctx, usageOn, userID, guildID, day).Scan(&server.Calls, &server.Tokens, &user.Calls, &user.Tokens)
	if err != nil {
		return server, user, fmt.Errorf("read model usage: %w", err)
	}
	return server, user, nil
}

// ReserveCall counts one model call for user userID on server guildID on
// day (store.Day), unless what was used that day has reached one of b's
// budgets: then it counts nothing and returns which (store.Budget.Spent).
// Reservations on one server are made one at a time, across replicas (a
// transaction holding an advisory lock), so a call budget is never
// passed; a token budget is checked against the tokens recorded so far.
// Give a reserved call back with AddUsage(…, -1, 0) when the model was not
// asked after all.
func (db *DB) ReserveCall(ctx context.Context, guildID, userID, day string, b store.Budget) (spent string, err error) {
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockUsage, guildID); err != nil {
			return err
		}
		var server, user store.Usage
		if err := tx.QueryRow(ctx, usageOn, userID, guildID, day).Scan(&server.Calls, &server.Tokens, &user.Calls, &user.Tokens); err != nil {
			return err
		}
		if spent = b.Spent(server, user); spent != "" {
			return nil
		}
		_, err := tx.Exec(ctx, addUsage, guildID, day, userID, 1, 0)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("reserve a model call: %w", err)
	}
	return spent, nil
}

// GuildUsage returns what server guildID used on each day from from to to
// (store.Day, both included) on which it used anything, newest first.
func (db *DB) GuildUsage(ctx context.Context, guildID, from, to string) ([]store.Usage, error) {
	rows, err := db.pool.Query(ctx, `SELECT day, sum(calls)::bigint, sum(tokens)::bigint FROM model_usage
		WHERE guild_id = $1 AND day >= $2 AND day <= $3 GROUP BY day ORDER BY day DESC`, guildID, from, to)
	if err != nil {
		return nil, fmt.Errorf("read model usage: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Usage, error) {
		var u store.Usage
		err := r.Scan(&u.Day, &u.Calls, &u.Tokens)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("read model usage: %w", err)
	}
	return out, nil
}

// TopUsers returns the limit users of server guildID who used the most
// tokens on day, most first.
func (db *DB) TopUsers(ctx context.Context, guildID, day string, limit int) ([]store.UserUsage, error) {
	rows, err := db.pool.Query(ctx, `SELECT user_id, calls, tokens FROM model_usage
		WHERE guild_id = $1 AND day = $2 ORDER BY tokens DESC, calls DESC, user_id LIMIT $3`, guildID, day, limit)
	if err != nil {
		return nil, fmt.Errorf("read model usage by user: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.UserUsage, error) {
		u := store.UserUsage{Usage: store.Usage{Day: day}}
		err := r.Scan(&u.UserID, &u.Calls, &u.Tokens)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("read model usage by user: %w", err)
	}
	return out, nil
}
