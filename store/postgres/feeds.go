package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storybot/storybot/store"
)

// StoryIDByURL returns the ID of the story stored under url, or
// store.ErrNotFound.
func (db *DB) StoryIDByURL(ctx context.Context, url string) (string, error) {
	var id string
	err := db.pool.QueryRow(ctx, `SELECT id FROM stories WHERE url = $1 AND url <> ''`, storable(url)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
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
	var checked, ok, next *time.Time
	err := db.pool.QueryRow(ctx, `SELECT etag, last_modified, checked, ok, failures, next_try, last_error
		FROM feeds WHERE url = $1`, storable(url)).Scan(&s.ETag, &s.LastModified, &checked, &ok, &s.Failures, &next, &s.LastError)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read feed state: %w", err) // the caller names the feed: its URL may hold a secret
	}
	s.Checked, s.OK, s.NextTry = fromNull(checked), fromNull(ok), fromNull(next)
	return s, nil
}

// PutFeedState stores s, replacing what was remembered about s.URL. Its
// text is stored as storable makes it (an error may quote a server's bytes).
func (db *DB) PutFeedState(ctx context.Context, s store.FeedState) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO feeds (url, etag, last_modified, checked, ok, failures, next_try, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
			checked = excluded.checked, ok = excluded.ok, failures = excluded.failures,
			next_try = excluded.next_try, last_error = excluded.last_error`,
		storable(s.URL), storable(s.ETag), storable(s.LastModified), nullSeconds(s.Checked), nullSeconds(s.OK), s.Failures,
		nullSeconds(s.NextTry), storable(s.LastError))
	if err != nil {
		return fmt.Errorf("store feed state: %w", err)
	}
	return nil
}

// FeedItem returns the stored entry of feed with the given GUID, and
// whether there is one. The GUID is looked up as PutFeedItems stores it.
func (db *DB) FeedItem(ctx context.Context, feed, guid string) (store.FeedItem, bool, error) {
	it := store.FeedItem{GUID: guid}
	var updated *time.Time
	err := db.pool.QueryRow(ctx, `SELECT story_id, updated FROM feed_items WHERE feed = $1 AND guid = $2`,
		storable(feed), storable(guid)).Scan(&it.StoryID, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.FeedItem{}, false, nil
	}
	if err != nil {
		return store.FeedItem{}, false, fmt.Errorf("read feed entry: %w", err)
	}
	it.Updated = fromNull(updated)
	return it, true, nil
}

// PutFeedItems records items as stored entries of feed and, in the same
// transaction, queues each item's story for posting to every channel (a
// story already queued or posted to a channel is not queued again). The
// feed and GUIDs are stored as storable makes them.
func (db *DB) PutFeedItems(ctx context.Context, feed string, items []store.FeedItem, channels []string) error {
	now := seconds(db.now())
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, it := range items {
			if _, err := tx.Exec(ctx, `INSERT INTO feed_items (feed, guid, story_id, updated, seen) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (feed, guid) DO UPDATE SET story_id = excluded.story_id, updated = excluded.updated`,
				storable(feed), storable(it.GUID), it.StoryID, nullSeconds(it.Updated), now); err != nil {
				return fmt.Errorf("record feed entry: %w", err)
			}
			for _, ch := range channels {
				if _, err := tx.Exec(ctx, `INSERT INTO posts (channel, story_id, state, queued, changed) VALUES ($1, $2, $3, $4, $4)
					ON CONFLICT (channel, story_id) DO NOTHING`, ch, it.StoryID, string(store.PostPending), now); err != nil {
					return fmt.Errorf("queue post: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record feed entries: %w", err)
	}
	return nil
}

const postColumns = `channel, story_id, state, attempts, note, queued`

func scanPosts(rows pgx.Rows) ([]store.Post, error) {
	defer rows.Close()
	var ps []store.Post
	for rows.Next() {
		var p store.Post
		var state string
		if err := rows.Scan(&p.Channel, &p.StoryID, &state, &p.Attempts, &p.Note, &p.Queued); err != nil {
			return nil, err
		}
		p.State, p.Queued = store.PostState(state), p.Queued.UTC()
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// PendingPosts returns up to limit posts waiting to be sent, oldest first.
func (db *DB) PendingPosts(ctx context.Context, limit int) ([]store.Post, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+postColumns+` FROM posts WHERE state = $1 ORDER BY n LIMIT $2`,
		string(store.PostPending), limit)
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
// reports false when the post was not pending (another sender, in this
// process or another, has it, or it is done).
func (db *DB) ClaimPost(ctx context.Context, channel, storyID string) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE posts SET state = $1, attempts = attempts + 1, changed = $2
		WHERE channel = $3 AND story_id = $4 AND state = $5`,
		string(store.PostSending), seconds(db.now()), channel, storyID, string(store.PostPending))
	if err != nil {
		return false, fmt.Errorf("claim post: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// EndPost moves a post that is sending to state (sent, pending to try
// again, or failed), with note: the message ID, or why it failed. It
// returns an error wrapping store.ErrPostNotSending when the post was not
// sending.
func (db *DB) EndPost(ctx context.Context, channel, storyID string, state store.PostState, note string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE posts SET state = $1, note = $2, changed = $3
		WHERE channel = $4 AND story_id = $5 AND state = $6`,
		string(state), storable(note), seconds(db.now()), channel, storyID, string(store.PostSending))
	if err != nil {
		return fmt.Errorf("record post: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record post %s in channel %s as %s: %w", storyID, channel, state, store.ErrPostNotSending)
	}
	return nil
}

// AbandonPosts marks every post still sending as unsure, and returns them:
// storybot stopped while sending them, so they may or may not be on
// Discord. Call it at start-up, before anything is sent, and only in the
// one process that posts.
func (db *DB) AbandonPosts(ctx context.Context) ([]store.Post, error) {
	rows, err := db.pool.Query(ctx, `UPDATE posts SET state = $1, changed = $2 WHERE state = $3 RETURNING `+postColumns,
		string(store.PostUnsure), seconds(db.now()), string(store.PostSending))
	if err != nil {
		return nil, fmt.Errorf("abandon posts: %w", err)
	}
	ps, err := scanPosts(rows)
	if err != nil {
		return nil, fmt.Errorf("abandon posts: %w", err)
	}
	return ps, nil
}

// fromNull is *t in UTC, or the zero time for NULL.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
