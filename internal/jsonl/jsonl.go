// Package jsonl reads the evaluation data sets: JSON Lines files, one JSON
// object a line, blank lines skipped, every error naming the file and line.
package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Options describe a data set.
type Options struct {
	// What a line holds, for messages: "an article", "a question".
	What string
	// Plural names the lines for "no …": "articles", "questions".
	Plural string
	// MaxLine is the longest line taken, in bytes; zero means 1 MB.
	MaxLine int
	// Strict refuses fields the type does not have.
	Strict bool
}

// Read reads the lines of r (name is the file, for messages) as Ts, each
// checked by check when it is not nil. A data set with no line is an
// error too.
func Read[T any](name string, r io.Reader, o Options, check func(*T) error) ([]T, error) {
	if o.MaxLine <= 0 {
		o.MaxLine = 1 << 20
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, o.MaxLine)), o.MaxLine)
	var out []T
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var v T
		dec := json.NewDecoder(bytes.NewReader(b))
		if o.Strict {
			dec.DisallowUnknownFields()
		}
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s:%d: not a JSON object of %s: %w", name, line, o.What, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s:%d: more than one JSON value on the line", name, line)
		}
		if check != nil {
			if err := check(&v); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, line, err)
			}
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", name, line+1, o.MaxLine)
		}
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no %s", name, o.Plural)
	}
	return out, nil
}
