package store

import (
	"errors"
	"time"
)

// ErrPostNotSending is returned by EndPost when the post was not being
// sent, so its outcome was not recorded: another poller marked it unsure,
// or it had already ended.
var ErrPostNotSending = errors.New("the post is not being sent")

// FeedState is what storybot remembers about a feed between reads: what a
// conditional GET needs, and the failures that set its backoff.
type FeedState struct {
	URL          string // as configured, not after redirects
	ETag         string // from the last 200 response; sent as If-None-Match
	LastModified string // from the last 200 response; sent as If-Modified-Since
	Checked      time.Time
	OK           time.Time // the last successful read; zero when never read
	Failures     int       // failed reads since the last successful one
	NextTry      time.Time // after a failure: not before this (backoff)
	LastError    string    // why the last read failed
}

// FeedItem is a feed entry whose story is stored.
type FeedItem struct {
	GUID    string    // the entry's GUID or Atom id, else its link
	StoryID string    // the story it was stored as
	Updated time.Time // the entry's updated time when it was stored; zero when it had none
}

// PostState is where a story's post to a channel stands.
type PostState string

// Post states. A post goes pending → sending → sent; a send that surely did
// not reach Discord goes back to pending, and after too many to failed. A
// post still sending when storybot stopped is marked unsure and never sent
// again: a story is posted at most once.
const (
	PostPending PostState = "pending"
	PostSending PostState = "sending"
	PostSent    PostState = "sent"
	PostFailed  PostState = "failed"
	PostUnsure  PostState = "unsure"
)

// Post is a story queued for, or posted to, a Discord channel.
type Post struct {
	Channel  string
	StoryID  string
	State    PostState
	Attempts int    // sends started
	Note     string // the message ID once sent, else the last error
	Queued   time.Time
}
