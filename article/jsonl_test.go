package article

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// readAll reads every article and every line error from a JSON Lines input.
func readAll(t *testing.T, in string) ([]Article, []*ParseError) {
	t.Helper()
	jr := NewJSONLReader("in.jsonl", strings.NewReader(in))
	var as []Article
	var errs []*ParseError
	for {
		a, err := jr.Next()
		if errors.Is(err, io.EOF) {
			return as, errs
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			errs = append(errs, pe)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, a)
	}
}

func TestJSONL(t *testing.T) {
	in := `{"title":"One","body":"Para one.\n\nPara  two.","url":"https://example.com/1","author":"A","published":"2020-08-18T16:59:00+01:00","updated":"2020-08-18T18:27:00+01:00","source":"Example"}

{"title":"Two","body":"Text.","published":"2021-01-01T00:00:00Z"}
`
	as, errs := readAll(t, in)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []Article{{
		Title: "One", Body: "Para one.\nPara two.", URL: "https://example.com/1", Author: "A", Source: "Example",
		Published: time.Date(2020, 8, 18, 15, 59, 0, 0, time.UTC),
		Updated:   time.Date(2020, 8, 18, 17, 27, 0, 0, time.UTC),
	}, {
		Title: "Two", Body: "Text.", Source: "in.jsonl", Published: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
	}}
	if len(as) != len(want) {
		t.Fatalf("got %d articles, want %d", len(as), len(want))
	}
	for i := range want {
		if as[i] != want[i] {
			t.Errorf("article %d: got %+v\nwant %+v", i, as[i], want[i])
		}
	}
}

func TestJSONLBadLines(t *testing.T) {
	good := `{"title":"Good","body":"Text.","published":"2021-01-01T00:00:00Z"}`
	long := `{"title":"Long","body":"` + strings.Repeat("x", 2<<20) + `","published":"2021-01-01T00:00:00Z"}`
	tests := []struct {
		name string
		line string
		want string
	}{
		{"not json", `title: x`, "not valid JSON"},
		{"truncated", `{"title":"x",`, "not valid JSON"},
		{"array", `[1,2]`, "must be a"},
		{"wrong type", `{"title":5,"body":"b","published":"2021-01-01T00:00:00Z"}`, `field "title" must be a string`},
		{"no title", `{"body":"b","published":"2021-01-01T00:00:00Z"}`, "missing title"},
		{"no body", `{"title":"t","published":"2021-01-01T00:00:00Z"}`, "no body"},
		{"no published", `{"title":"t","body":"b"}`, "missing published"},
		{"date in another format", `{"title":"t","body":"b","published":"18 August 2020"}`, "not RFC 3339"},
		{"invalid utf-8", "{\"title\":\"t\xff\",\"body\":\"b\",\"published\":\"2021-01-01T00:00:00Z\"}", "invalid UTF-8"},
		{"oversized line", long, "longer than 1.0 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, errs := readAll(t, good+"\n"+tt.line+"\n"+good+"\n")
			if len(as) != 2 {
				t.Errorf("got %d good articles, want 2 (a bad line must lose nothing else)", len(as))
			}
			if len(errs) != 1 {
				t.Fatalf("got errors %v, want one", errs)
			}
			if errs[0].Line != 2 || !strings.Contains(errs[0].Reason, tt.want) {
				t.Errorf("got %q (line %d), want line 2 and %q", errs[0], errs[0].Line, tt.want)
			}
		})
	}
}

func FuzzJSONL(f *testing.F) {
	f.Add(`{"title":"Good","body":"Text.","published":"2021-01-01T00:00:00Z"}` + "\n{}\n")
	f.Add("\n\n{\"title\":1}")
	f.Fuzz(func(t *testing.T, in string) {
		jr := NewJSONLReader("fuzz.jsonl", strings.NewReader(in))
		for i := 0; ; i++ {
			if i > len(in)+1 {
				t.Fatal("more results than lines")
			}
			a, err := jr.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var pe *ParseError
			if err != nil && !errors.As(err, &pe) {
				t.Fatalf("unexpected error %v", err)
			}
			if err == nil && (a.Title == "" || a.Body == "" || a.Published.IsZero()) {
				t.Fatalf("accepted an incomplete article: %+v", a)
			}
		}
	})
}
