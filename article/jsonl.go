package article

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// jsonArticle is one line of the JSON Lines format.
type jsonArticle struct {
	Title     string `json:"title"`
	Body      string `json:"body"`
	URL       string `json:"url"`
	Author    string `json:"author"`
	Published string `json:"published"` // RFC 3339
	Updated   string `json:"updated"`   // RFC 3339, optional
	Source    string `json:"source"`
}

// JSONLReader reads articles from JSON Lines: one JSON object a line with the
// fields title, body, url, author, published, updated and source; times in
// RFC 3339. Blank lines are skipped.
type JSONLReader struct {
	name string
	r    *bufio.Reader
	line int
}

// NewJSONLReader returns a reader of the articles in r. name is used in error
// messages and as the Source of articles that do not name one.
func NewJSONLReader(name string, r io.Reader) *JSONLReader {
	return &JSONLReader{name: name, r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next article, or io.EOF after the last one. A malformed
// line gives a *ParseError naming it, and the next call goes on with the line
// after it; any other error ends the input.
func (jr *JSONLReader) Next() (Article, error) {
	for {
		b, tooLong, err := jr.readLine()
		if err != nil {
			return Article{}, err
		}
		jr.line++
		if tooLong {
			return Article{}, jr.fail("the line is longer than %s, the limit for one article", sizeString(MaxBytes))
		}
		b = bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\ufeff")))
		if len(b) == 0 {
			continue
		}
		return jr.parse(b)
	}
}

// readLine reads one line without its newline. A line longer than the limit
// is consumed and reported as tooLong. It returns io.EOF only when there is
// no more input at all.
func (jr *JSONLReader) readLine() (line []byte, tooLong bool, err error) {
	const limit = MaxBytes + 64<<10 // the article plus room for JSON syntax and metadata
	var buf []byte
	for {
		chunk, err := jr.r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > limit {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(buf, []byte("\n")), tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return buf, tooLong, nil
		default:
			return nil, false, fmt.Errorf("read %s: %w", jr.name, err)
		}
	}
}

func (jr *JSONLReader) fail(format string, args ...any) error {
	return &ParseError{File: jr.name, Line: jr.line, Reason: fmt.Sprintf(format, args...)}
}

func (jr *JSONLReader) parse(b []byte) (Article, error) {
	if _, reason := checkText(b); reason != "" {
		return Article{}, jr.fail("%s", reason)
	}
	var j jsonArticle
	if err := json.Unmarshal(b, &j); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return Article{}, jr.fail("not valid JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return Article{}, jr.fail("field %q must be a %s, not a %s", te.Field, te.Type, te.Value)
		}
		return Article{}, jr.fail("not a JSON object: %v", err)
	}
	a := Article{
		Title:  normalizeSpace(j.Title),
		Body:   normalizeBody(j.Body),
		URL:    strings.TrimSpace(j.URL),
		Author: normalizeSpace(j.Author),
		Source: normalizeSpace(j.Source),
	}
	if a.Source == "" {
		a.Source = jr.name
	}
	var err error
	if j.Published == "" {
		return Article{}, jr.fail("missing published time (RFC 3339, for example 2020-08-18T15:59:00Z)")
	}
	if a.Published, err = parseRFC3339("published", j.Published); err != nil {
		return Article{}, jr.fail("%v", err)
	}
	if j.Updated != "" {
		if a.Updated, err = parseRFC3339("updated", j.Updated); err != nil {
			return Article{}, jr.fail("%v", err)
		}
	}
	if reason := validate(&a); reason != "" {
		return Article{}, jr.fail("%s", reason)
	}
	return a, nil
}

func parseRFC3339(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("%s time %q is not RFC 3339 (for example 2020-08-18T15:59:00Z)", field, truncate(v, 40))
	}
	return t.UTC(), nil
}

// normalizeBody makes a body of paragraphs separated by single newlines, each
// with its white space collapsed.
func normalizeBody(s string) string {
	var paras []string
	for _, p := range strings.Split(s, "\n") {
		if p = normalizeSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n")
}
