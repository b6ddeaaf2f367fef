package article

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// The plain-text export format, one article a file:
//
//	<title>
//	Published: HH:MM, D Month YYYY
//	Updated: HH:MM, D Month YYYY          (optional)
//	<body paragraphs, one a line>
//	Read more: <link text>                (optional, not part of the story)
//	More by this author                   (optional: the next line is the author)
//	<author name>
//
// Times are UK local time (Europe/London) and are stored in UTC.
const (
	publishedPrefix = "Published:"
	updatedPrefix   = "Updated:"
	readMorePrefix  = "Read more:"
	authorMarker    = "More by this author"
	textTimeLayout  = "15:04, 2 January 2006"
)

// ParseText parses one article in the plain-text export format. name is used
// in error messages and as the article's Source. Errors are *ParseError.
func ParseText(name string, r io.Reader) (Article, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+4096+1))
	if err != nil {
		return Article{}, fmt.Errorf("read %s: %w", name, err)
	}
	fail := func(line int, format string, args ...any) (Article, error) {
		return Article{}, &ParseError{File: name, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	if len(b) > MaxBytes+4096 {
		return fail(0, "the file is larger than %s, the limit for one article", sizeString(MaxBytes))
	}
	if line, reason := checkText(b); reason != "" {
		return fail(line, "%s", reason)
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if len(bytes.TrimSpace(b)) == 0 {
		return fail(0, "empty file")
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")

	a := Article{Source: name}
	i := 0
	// next returns the next non-blank line and its 1-based number, or ok=false at the end.
	next := func() (string, int, bool) {
		for i < len(lines) {
			l := strings.TrimSpace(lines[i])
			i++
			if l != "" {
				return l, i, true
			}
		}
		return "", i, false
	}

	title, titleLine, _ := next()
	if strings.HasPrefix(title, publishedPrefix) {
		return fail(titleLine, "missing title: the first line must be the title, not the Published line")
	}
	a.Title = normalizeSpace(title)

	l, n, ok := next()
	if !ok {
		return fail(titleLine, "the file ends after the title: want a line %q", publishedPrefix+" HH:MM, D Month YYYY")
	}
	if a.Published, err = parseTextTime(l, publishedPrefix); err != nil {
		return fail(n, "%v", err)
	}

	var body []string
	l, n, ok = next()
	if ok && strings.HasPrefix(l, updatedPrefix) {
		if a.Updated, err = parseTextTime(l, updatedPrefix); err != nil {
			return fail(n, "%v", err)
		}
		l, n, ok = next()
	}
	for ; ok; l, n, ok = next() {
		switch {
		case strings.HasPrefix(l, readMorePrefix):
			// A link to other stories, wherever it appears: not part of this one.
		case l == authorMarker:
			author, _, ok := next()
			if !ok {
				return fail(n, "%q must be followed by the author's name", authorMarker)
			}
			if extra, en, ok := next(); ok {
				return fail(en, "unexpected text after the author %q: %q (the author block must end the file)", author, truncate(extra, 40))
			}
			a.Author = normalizeSpace(author)
		case strings.HasPrefix(l, publishedPrefix) || strings.HasPrefix(l, updatedPrefix):
			return fail(n, "unexpected %q line in the body", l[:strings.IndexByte(l, ':')+1])
		default:
			// A line of control characters alone is no paragraph.
			if p := normalizeSpace(l); p != "" {
				body = append(body, p)
			}
		}
	}
	a.Body = strings.Join(body, "\n")
	if a.Body == "" {
		return fail(0, "the article has a title and a date but no body paragraphs")
	}
	if reason := validate(&a); reason != "" {
		return fail(0, "%s", reason)
	}
	return a, nil
}

// parseTextTime parses "Published: 16:59, 18 August 2020" (UK local time) into UTC.
func parseTextTime(line, prefix string) (time.Time, error) {
	if !strings.HasPrefix(line, prefix) {
		return time.Time{}, fmt.Errorf("want a line %q, got %q", prefix+" HH:MM, D Month YYYY", truncate(line, 60))
	}
	v := normalizeSpace(strings.TrimPrefix(line, prefix))
	t, err := time.ParseInLocation(textTimeLayout, v, london())
	if err != nil {
		return time.Time{}, fmt.Errorf("%s time %q is not in the form HH:MM, D Month YYYY (for example 16:59, 18 August 2020)",
			strings.TrimSuffix(prefix, ":"), truncate(v, 40))
	}
	return t.UTC(), nil
}

// truncate shortens s to at most n characters for an error message.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
