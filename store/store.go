// Package store holds what every storage backend shares: the stored Story,
// the outcomes of putting an article, story IDs and query parsing.
// Backends live in subpackages (store/sqlite).
package store

import (
	"crypto/sha256"
	"errors"
	"strings"
	"time"

	"github.com/storybot/storybot/article"
)

// ErrNotFound is returned when no story has the ID asked for.
var ErrNotFound = errors.New("no such story")

// Story is an article as stored, with its ID.
type Story struct {
	ID string // short, stable, typeable: see NewID
	article.Article
	Hash     string    // article.Article.ContentHash
	Ingested time.Time // when it was first stored
	Changed  time.Time // when it was last added or updated
}

// Title is a story's ID, title and publication time: enough for a list or an
// autocomplete choice.
type Title struct {
	ID        string
	Title     string
	Published time.Time
}

// Hit is a search result.
type Hit struct {
	Story
	Score   float64 // lower is better (SQLite's bm25 is negative)
	Snippet string  // a few words of the body around the match
}

// Outcome is what putting an article did.
type Outcome int

// Outcomes of putting an article.
const (
	Added     Outcome = iota + 1
	Updated           // same URL (or same title and published time), changed content
	Unchanged         // already stored as it is
	Duplicate         // the same title and body is stored under another identity
)

func (o Outcome) String() string {
	switch o {
	case Added:
		return "added"
	case Updated:
		return "updated"
	case Unchanged:
		return "unchanged"
	case Duplicate:
		return "duplicate"
	}
	return "unknown"
}

// PutResult is the outcome of putting one article.
type PutResult struct {
	ID      string
	Outcome Outcome
}

// idAlphabet is Crockford's base-32 alphabet in lower case: no i, l, o or u,
// so an ID read aloud or copied by hand is hard to get wrong.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// IDLen is the usual length of a story ID: 35 bits, so collisions are rare
// below millions of stories; a colliding story gets a longer ID.
const IDLen = 7

// NewID returns the ID candidates for an article, shortest first: the base-32
// digits of a hash of its identity (its URL, else its title and published
// time), so the same story gets the same ID in any database. A backend takes
// the first candidate that is free.
func NewID(a article.Article) []string {
	key := a.URL
	if key == "" {
		key = a.Title + "\x00" + a.Published.UTC().Format(time.RFC3339)
	}
	sum := sha256.Sum256([]byte(key))
	var digits [51]byte // 256 bits / 5
	for i := range digits {
		bit := i * 5
		v := (uint(sum[bit/8])<<8 | uint(at(sum[:], bit/8+1))) >> (11 - bit%8) & 31
		digits[i] = idAlphabet[v]
	}
	ids := make([]string, 0, len(digits)-IDLen+1)
	for n := IDLen; n <= len(digits); n++ {
		ids = append(ids, string(digits[:n]))
	}
	return ids
}

func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// NormalizeID turns what a user typed into the form IDs are stored in.
func NormalizeID(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// DocFreq is how many stories hold each word, counted over a sample of the
// store (the newest Stories stories), for weighing words by rarity.
type DocFreq struct {
	Stories int            // the sample's size
	Counts  map[string]int // by word as given (lower case), stories holding it
	// Ignored are the words the backend's index leaves out (PostgreSQL's
	// English stop words): their count of 0 says nothing of their rarity.
	Ignored map[string]bool
}
