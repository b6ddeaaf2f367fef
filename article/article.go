// Package article defines a news story as storybot stores it, and the parsers
// for the formats it is ingested from: the plain-text export format and JSON Lines.
package article

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Article is one news story. Times are in UTC; Updated is zero when the story
// was never updated.
type Article struct {
	Title     string
	Body      string // paragraphs separated by "\n"
	URL       string
	Author    string
	Source    string // where it came from: a file name, a feed, a publisher
	Published time.Time
	Updated   time.Time
}

// Paragraphs returns the body's paragraphs.
func (a Article) Paragraphs() []string {
	return strings.Split(a.Body, "\n")
}

// ContentHash identifies an article's text: two articles with the same title
// and body are the same story, whatever file or feed they came from.
func (a Article) ContentHash() string {
	h := sha256.New()
	h.Write([]byte(a.Title))
	h.Write([]byte{0})
	h.Write([]byte(a.Body))
	return hex.EncodeToString(h.Sum(nil))
}

// MaxBytes is the largest article accepted, in bytes of UTF-8 text (title and
// body). A real news story is rarely over 100 KB; anything this large is most
// likely not an article.
const MaxBytes = 1 << 20
