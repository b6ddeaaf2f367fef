package article

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // article times are UK local time; the Docker image has no zoneinfo
	"unicode"
	"unicode/utf8"
)

// ParseError is malformed input: where it is and what is wrong with it.
type ParseError struct {
	File   string
	Line   int // 1-based; 0 when the problem is the file as a whole
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

// maxTitle is the longest title accepted, in characters.
const maxTitle = 500

// checkText rejects input that is not text: NUL bytes (a binary file) or
// invalid UTF-8. It returns the 1-based line of the first problem.
func checkText(b []byte) (line int, reason string) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return 0, "not a text file (it contains NUL bytes)"
	}
	if utf8.Valid(b) {
		return 0, ""
	}
	for i, l := range bytes.Split(b, []byte("\n")) {
		if !utf8.Valid(l) {
			return i + 1, "invalid UTF-8: the file must be UTF-8 text"
		}
	}
	return 0, ""
}

// normalizeSpace collapses runs of white space to one space, trims the ends
// and drops control characters (a stray escape sequence must not reach a
// terminal or a chat message).
func normalizeSpace(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

// validate checks the fields every article must have, whatever its format.
func validate(a *Article) string {
	switch {
	case a.Title == "":
		return "missing title"
	case utf8.RuneCountInString(a.Title) > maxTitle:
		return fmt.Sprintf("title is %d characters long; the limit is %d", utf8.RuneCountInString(a.Title), maxTitle)
	case a.Body == "":
		return "the article has no body text"
	case len(a.Title)+len(a.Body) > MaxBytes:
		return fmt.Sprintf("the article is %s; the limit is %s", sizeString(len(a.Title)+len(a.Body)), sizeString(MaxBytes))
	case a.Published.IsZero():
		return "missing published time"
	case !a.Updated.IsZero() && a.Updated.Before(a.Published):
		return fmt.Sprintf("updated time %s is before published time %s",
			a.Updated.Format(time.RFC3339), a.Published.Format(time.RFC3339))
	}
	return ""
}

func sizeString(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", (n+1023)/1024)
}

var london = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(fmt.Sprintf("load Europe/London from embedded tzdata: %v", err))
	}
	return loc
})
