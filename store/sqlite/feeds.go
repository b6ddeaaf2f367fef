package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/storybot/storybot/store"
)

// StoryIDByURL returns the ID of the story stored under url, or
// store.ErrNotFound.
func (db *DB) StoryIDByURL(ctx context.Context, url string) (string, error) {
	var id string
	err := db.queryRow(ctx, `SELECT id FROM stories WHERE url = ? AND url <> ''`, url).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("story with URL %q: %w", url, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("look up story by URL: %w", err)
	}
	return id, nil
}

// FeedState returns what is remembered about the feed at url; a feed never
// read has a zero state (with URL set).
func (db *DB) FeedState(ctx context.Context, url string) (store.FeedState, error) {
	s := store.FeedState{URL: url}
	var checked, ok, next sql.NullInt64
	err := db.queryRow(ctx, `SELECT etag, last_modified, checked, ok, failures, next_try, last_error
		FROM feeds WHERE url = ?`, url).Scan(&s.ETag, &s.LastModified, &checked, &ok, &s.Failures, &next, &s.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read feed state: %w", err) // the caller names the feed: its URL may hold a secret
	}
	s.Checked, s.OK, s.NextTry = fromNullUnix(checked), fromNullUnix(ok), fromNullUnix(next)
	return s, nil
}

// PutFeedState stores s, replacing what was remembered about s.URL.
func (db *DB) PutFeedState(ctx context.Context, s store.FeedState) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO feeds (url, etag, last_modified, checked, ok, failures, next_try, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
			checked = excluded.checked, ok = excluded.ok, failures = excluded.failures,
			next_try = excluded.next_try, last_error = excluded.last_error`,
		s.URL, s.ETag, s.LastModified, nullUnix(s.Checked), nullUnix(s.OK), s.Failures, nullUnix(s.NextTry), s.LastError)
	if err != nil {
		return fmt.Errorf("store feed state: %w", err)
	}
	return nil
}

// FeedItem returns the stored entry of feed with the given GUID, and
// whether there is one.
func (db *DB) FeedItem(ctx context.Context, feed, guid string) (store.FeedItem, bool, error) {
	it := store.FeedItem{GUID: guid}
	var updated sql.NullInt64
	err := db.queryRow(ctx, `SELECT story_id, updated FROM feed_items WHERE feed = ? AND guid = ?`, feed, guid).Scan(&it.StoryID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.FeedItem{}, false, nil
	}
	if err != nil {
		return store.FeedItem{}, false, fmt.Errorf("read feed entry: %w", err)
	}
	it.Updated = fromNullUnix(updated)
	return it, true, nil
}

// PutFeedItems records items as stored entries of feed and, in the same
// transaction, queues each item's story for posting to every channel (a
// story already queued or posted to a channel is not queued again).
func (db *DB) PutFeedItems(ctx context.Context, feed string, items []store.FeedItem, channels []string) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record feed entries: %w", err)
	}
	defer tx.Rollback()
	now := unix(db.now())
	for _, it := range items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_items (feed, guid, story_id, updated, seen) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (feed, guid) DO UPDATE SET story_id = excluded.story_id, updated = excluded.updated`,
			feed, it.GUID, it.StoryID, nullUnix(it.Updated), now); err != nil {
			return fmt.Errorf("record feed entry: %w", err)
		}
		for _, ch := range channels {
			if _, err := tx.ExecContext(ctx, `INSERT INTO posts (channel, story_id, state, queued, changed) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (channel, story_id) DO NOTHING`, ch, it.StoryID, store.PostPending, now, now); err != nil {
				return fmt.Errorf("queue post: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record feed entries: %w", err)
	}
	return nil
}

const postColumns = `channel, story_id, state, attempts, note, queued`

func scanPosts(rows *sql.Rows) ([]store.Post, error) {
	defer rows.Close()
	var ps []store.Post
	for rows.Next() {
		var p store.Post
		var queued int64
		if err := rows.Scan(&p.Channel, &p.StoryID, &p.State, &p.Attempts, &p.Note, &queued); err != nil {
			return nil, err
		}
		p.Queued = fromUnix(queued)
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// PendingPosts returns up to limit posts waiting to be sent, oldest first.
func (db *DB) PendingPosts(ctx context.Context, limit int) ([]store.Post, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+postColumns+` FROM posts WHERE state = ? ORDER BY n LIMIT ?`, store.PostPending, limit)
	if err != nil {
		return nil, fmt.Errorf("pending posts: %w", err)
	}
	ps, err := scanPosts(rows)
	if err != nil {
		return nil, fmt.Errorf("pending posts: %w", err)
	}
	return ps, nil
}

// ClaimPost moves a pending post to sending and counts the attempt. It
// reports false when the post was not pending (another sender has it, or
// it is done).
func (db *DB) ClaimPost(ctx context.Context, channel, storyID string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE posts SET state = ?, attempts = attempts + 1, changed = ?
		WHERE channel = ? AND story_id = ? AND state = ?`, store.PostSending, unix(db.now()), channel, storyID, store.PostPending)
	if err != nil {
		return false, fmt.Errorf("claim post: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim post: %w", err)
	}
	return n == 1, nil
}

// EndPost moves a post that is sending to state (sent, pending to try
// again, or failed), with note: the message ID, or why it failed. It
// returns an error wrapping store.ErrPostNotSending when the post was not
// sending.
func (db *DB) EndPost(ctx context.Context, channel, storyID string, state store.PostState, note string) error {
	res, err := db.db.ExecContext(ctx, `UPDATE posts SET state = ?, note = ?, changed = ?
		WHERE channel = ? AND story_id = ? AND state = ?`, state, note, unix(db.now()), channel, storyID, store.PostSending)
	if err != nil {
		return fmt.Errorf("record post: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("record post: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("record post %s in channel %s as %s: %w", storyID, channel, state, store.ErrPostNotSending)
	}
	return nil
}

// AbandonPosts marks every post still sending as unsure, and returns them:
// storybot stopped while sending them, so they may or may not be on
// Discord. Call it at start-up, before anything is sent.
func (db *DB) AbandonPosts(ctx context.Context) ([]store.Post, error) {
	rows, err := db.db.QueryContext(ctx, `UPDATE posts SET state = ?, changed = ? WHERE state = ? RETURNING `+postColumns,
		store.PostUnsure, unix(db.now()), store.PostSending)
	if err != nil {
		return nil, fmt.Errorf("abandon posts: %w", err)
	}
	ps, err := scanPosts(rows)
	if err != nil {
		return nil, fmt.Errorf("abandon posts: %w", err)
	}
	return ps, nil
}
