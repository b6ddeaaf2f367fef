package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/storybot/storybot/store"
)

// selectSettings reads one server's settings row (scanSettings).
const selectSettings = `SELECT style, channels, model_roles, server_calls, server_tokens, user_calls, user_tokens,
	feed_channel, updated, updated_by FROM guild_settings WHERE guild_id = ?`

// GuildSettings returns the settings of the server guildID: the defaults
// (store.Settings with only GuildID set) when it never changed them.
func (db *DB) GuildSettings(ctx context.Context, guildID string) (store.Settings, error) {
	return scanSettings(db.queryRow(ctx, selectSettings, guildID), guildID)
}

// scanSettings reads the row of selectSettings for server guildID.
func scanSettings(row scanner, guildID string) (store.Settings, error) {
	s := store.Settings{GuildID: guildID}
	var (
		channels, roles string
		limits          [4]sql.NullInt64
		updated         int64
	)
	err := row.Scan(&s.Style, &channels, &roles, &limits[0], &limits[1], &limits[2], &limits[3], &s.FeedChannel, &updated, &s.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings of server %s: %w", guildID, err)
	}
	s.Channels, s.ModelRoles = idList(channels), idList(roles)
	b := &s.Budget
	for i, l := range []*store.Limit{&b.ServerCalls, &b.ServerTokens, &b.UserCalls, &b.UserTokens} {
		*l = store.Limit{N: limits[i].Int64, Set: limits[i].Valid}
	}
	s.Updated = fromUnix(updated)
	return s, nil
}

// execer runs a statement: the database, or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// PutGuildSettings stores s as the settings of server s.GuildID, replacing
// what was there. A zero s.Updated is stored as now.
func (db *DB) PutGuildSettings(ctx context.Context, s store.Settings) error {
	return db.putSettings(ctx, db.db, s)
}

func (db *DB) putSettings(ctx context.Context, ex execer, s store.Settings) error {
	if s.GuildID == "" {
		return errors.New("store settings: no server ID")
	}
	if s.Updated.IsZero() {
		s.Updated = db.now()
	}
	b := s.Budget
	_, err := ex.ExecContext(ctx, `INSERT INTO guild_settings (guild_id, style, channels, model_roles,
			server_calls, server_tokens, user_calls, user_tokens, feed_channel, updated, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (guild_id) DO UPDATE SET style = excluded.style, channels = excluded.channels,
			model_roles = excluded.model_roles, server_calls = excluded.server_calls,
			server_tokens = excluded.server_tokens, user_calls = excluded.user_calls,
			user_tokens = excluded.user_tokens, feed_channel = excluded.feed_channel,
			updated = excluded.updated, updated_by = excluded.updated_by`,
		s.GuildID, s.Style, strings.Join(s.Channels, " "), strings.Join(s.ModelRoles, " "),
		nullLimit(b.ServerCalls), nullLimit(b.ServerTokens), nullLimit(b.UserCalls), nullLimit(b.UserTokens),
		s.FeedChannel, unix(s.Updated), s.UpdatedBy)
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
	tx, err := db.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see Open): one writer at a time
	if err != nil {
		return store.Settings{}, fmt.Errorf("change settings of server %s: %w", guildID, err)
	}
	defer tx.Rollback()
	s, err := scanSettings(tx.QueryRowContext(ctx, selectSettings, guildID), guildID)
	if err != nil {
		return store.Settings{}, err
	}
	if err := apply(&s); err != nil {
		return store.Settings{}, err
	}
	s.GuildID = guildID
	if s.Updated.IsZero() {
		s.Updated = db.now()
	}
	if err := db.putSettings(ctx, tx, s); err != nil {
		return store.Settings{}, err
	}
	if err := tx.Commit(); err != nil {
		return store.Settings{}, fmt.Errorf("change settings of server %s: %w", guildID, err)
	}
	return s, nil
}

// idList splits a list of IDs stored separated by spaces; nil when empty.
func idList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Fields(s)
}

func nullLimit(l store.Limit) sql.NullInt64 { return sql.NullInt64{Int64: l.N, Valid: l.Set} }

// FeedChannels returns the feed channel of every server that set one, by
// server ID.
func (db *DB) FeedChannels(ctx context.Context) (map[string]string, error) {
	rows, err := db.query(ctx, `SELECT guild_id, feed_channel FROM guild_settings WHERE feed_channel <> ''`)
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
const addUsage = `INSERT INTO model_usage (guild_id, day, user_id, calls, tokens) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (guild_id, day, user_id) DO UPDATE SET calls = calls + excluded.calls, tokens = tokens + excluded.tokens`

// usageOn reads a server's and a user's use of a day (UsageOn).
const usageOn = `SELECT coalesce(sum(calls), 0), coalesce(sum(tokens), 0),
		coalesce(sum(CASE WHEN user_id = ? THEN calls END), 0), coalesce(sum(CASE WHEN user_id = ? THEN tokens END), 0)
	FROM model_usage WHERE guild_id = ? AND day = ?`

// AddUsage adds calls and tokens to what user userID used on server
// guildID on day (store.Day). calls may be negative: -1 gives back a
// call counted by ReserveCall.
func (db *DB) AddUsage(ctx context.Context, guildID, userID, day string, calls, tokens int64) error {
	if _, err := db.db.ExecContext(ctx, addUsage, guildID, day, userID, calls, tokens); err != nil {
		return fmt.Errorf("record model usage: %w", err)
	}
	return nil
}

// UsageOn returns what server guildID used on day, in all and by userID.
func (db *DB) UsageOn(ctx context.Context, guildID, userID, day string) (server, user store.Usage, err error) {
	server.Day, user.Day = day, day
	err = db.queryRow(ctx, usageOn, userID, userID, guildID, day).Scan(&server.Calls, &server.Tokens, &user.Calls, &user.Tokens)
	if err != nil {
		return server, user, fmt.Errorf("read model usage: %w", err)
	}
	return server, user, nil
}

// ReserveCall counts one model call for user userID on server guildID on
// day (store.Day), unless what was used that day has reached one of b's
// budgets: then it counts nothing and returns which (store.Budget.Spent).
// Reservations are made one at a time (a write transaction), so a call
// budget is never passed; a token budget is checked against the tokens
// recorded so far. Give a reserved call back with AddUsage(…, -1, 0) when
// the model was not asked after all.
func (db *DB) ReserveCall(ctx context.Context, guildID, userID, day string, b store.Budget) (spent string, err error) {
	tx, err := db.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see Open): one writer at a time
	if err != nil {
		return "", fmt.Errorf("reserve a model call: %w", err)
	}
	defer tx.Rollback()
	var server, user store.Usage
	if err := tx.QueryRowContext(ctx, usageOn, userID, userID, guildID, day).Scan(&server.Calls, &server.Tokens, &user.Calls, &user.Tokens); err != nil {
		return "", fmt.Errorf("reserve a model call: %w", err)
	}
	if spent := b.Spent(server, user); spent != "" {
		return spent, nil
	}
	if _, err := tx.ExecContext(ctx, addUsage, guildID, day, userID, 1, 0); err != nil {
		return "", fmt.Errorf("reserve a model call: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("reserve a model call: %w", err)
	}
	return "", nil
}

// GuildUsage returns what server guildID used on each day from from to to
// (store.Day, both included) on which it used anything, newest first.
func (db *DB) GuildUsage(ctx context.Context, guildID, from, to string) ([]store.Usage, error) {
	rows, err := db.query(ctx, `SELECT day, sum(calls), sum(tokens) FROM model_usage
		WHERE guild_id = ? AND day >= ? AND day <= ? GROUP BY day ORDER BY day DESC`, guildID, from, to)
	if err != nil {
		return nil, fmt.Errorf("read model usage: %w", err)
	}
	defer rows.Close()
	var out []store.Usage
	for rows.Next() {
		var u store.Usage
		if err := rows.Scan(&u.Day, &u.Calls, &u.Tokens); err != nil {
			return nil, fmt.Errorf("read model usage: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read model usage: %w", err)
	}
	return out, nil
}

// TopUsers returns the limit users of server guildID who used the most
// tokens on day, most first.
func (db *DB) TopUsers(ctx context.Context, guildID, day string, limit int) ([]store.UserUsage, error) {
	rows, err := db.query(ctx, `SELECT user_id, calls, tokens FROM model_usage
		WHERE guild_id = ? AND day = ? ORDER BY tokens DESC, calls DESC, user_id LIMIT ?`, guildID, day, limit)
	if err != nil {
		return nil, fmt.Errorf("read model usage by user: %w", err)
	}
	defer rows.Close()
	var out []store.UserUsage
	for rows.Next() {
		u := store.UserUsage{Usage: store.Usage{Day: day}}
		if err := rows.Scan(&u.UserID, &u.Calls, &u.Tokens); err != nil {
			return nil, fmt.Errorf("read model usage by user: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read model usage by user: %w", err)
	}
	return out, nil
}
