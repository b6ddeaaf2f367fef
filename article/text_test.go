package article

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/internal/shared"
)

const goodText = `A title
Published: 16:59, 18 August 2020
Updated: 18:27, 18 August 2020
First paragraph.
Second paragraph.
Read more: All the latest news
More by this author
Jo Bloggs
`

func TestParseText(t *testing.T) {
	a, err := ParseText("good.txt", strings.NewReader(goodText))
	if err != nil {
		t.Fatal(err)
	}
	want := Article{
		Title:     "A title",
		Body:      "First paragraph.\nSecond paragraph.",
		Author:    "Jo Bloggs",
		Source:    "good.txt",
		Published: time.Date(2020, 8, 18, 15, 59, 0, 0, time.UTC), // BST is UTC+1
		Updated:   time.Date(2020, 8, 18, 17, 27, 0, 0, time.UTC),
	}
	if a != want {
		t.Errorf("got %+v\nwant %+v", a, want)
	}
}

func TestParseTextWinterTimeAndOptionalParts(t *testing.T) {
	// GMT in winter: UK local time is UTC. No Updated line, no trailer, CRLF, no final newline.
	in := "Title\r\nPublished: 09:05, 3 January 2021\r\nOnly paragraph."
	a, err := ParseText("w.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2021, 1, 3, 9, 5, 0, 0, time.UTC); !a.Published.Equal(want) {
		t.Errorf("published: got %v, want %v", a.Published, want)
	}
	if !a.Updated.IsZero() || a.Author != "" || a.Body != "Only paragraph." {
		t.Errorf("got %+v", a)
	}
}

func TestParseTextDropsControlCharacters(t *testing.T) {
	in := "Ti\x07tle\nPublished: 10:00, 1 May 2020\n\x1b[31mred\x1b[0m text\n"
	a, err := ParseText("c.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "Ti tle" || a.Body != "[31mred [0m text" {
		t.Errorf("got title %q, body %q", a.Title, a.Body)
	}
}

func TestParseTextBadInput(t *testing.T) {
	big := "T\nPublished: 10:00, 1 May 2020\n" + strings.Repeat("word ", 1<<20) + "\n"
	tests := []struct {
		name     string
		in       string
		wantLine int
		want     string // part of the reason
	}{
		{"empty", "", 0, "empty file"},
		{"blank", " \n\n\t\n", 0, "empty file"},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00\x00", 0, "not a text file"},
		{"invalid utf-8", "Title\nPublished: 10:00, 1 May 2020\nok\nbad \xff\xfe here\n", 4, "invalid UTF-8"},
		{"only a title", "Just a title\n", 1, "ends after the title"},
		{"no date line", "Title\nSome text\n", 2, "want a line \"Published:"},
		{"date in another format", "Title\nPublished: 2020-08-18T15:59:00Z\nBody.\n", 2, "not in the form HH:MM, D Month YYYY"},
		{"american date", "Title\nPublished: 4:59 PM, August 18, 2020\nBody.\n", 2, "not in the form"},
		{"bad updated", "Title\nPublished: 10:00, 1 May 2020\nUpdated: yesterday\nBody.\n", 3, "Updated time \"yesterday\""},
		{"updated before published", "Title\nPublished: 10:00, 1 May 2020\nUpdated: 09:00, 1 May 2020\nBody.\n", 0, "before published"},
		{"no body", "Title\nPublished: 10:00, 1 May 2020\nUpdated: 11:00, 1 May 2020\n", 0, "no body"},
		{"title is a date", "Published: 10:00, 1 May 2020\nBody.\n", 1, "missing title"},
		{"author missing", "Title\nPublished: 10:00, 1 May 2020\nBody.\nMore by this author\n", 4, "followed by the author"},
		{"text after author", "Title\nPublished: 10:00, 1 May 2020\nBody.\nMore by this author\nJo\nMore text\n", 6, "after the author"},
		{"second published line", "Title\nPublished: 10:00, 1 May 2020\nBody.\nPublished: 10:00, 1 May 2020\n", 4, "unexpected \"Published:\""},
		{"5 MB body", big, 0, "larger than 1.0 MiB"},
		{"long title", strings.Repeat("x", 600) + "\nPublished: 10:00, 1 May 2020\nBody.\n", 0, "title is 600 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseText("in.txt", strings.NewReader(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got article %+v, error %v; want a *ParseError", a, err)
			}
			if pe.File != "in.txt" || pe.Line != tt.wantLine || !strings.Contains(pe.Reason, tt.want) {
				t.Errorf("got %q (line %d), want line %d and a reason containing %q", err, pe.Line, tt.wantLine, tt.want)
			}
		})
	}
}

func TestParseTextTonbridge(t *testing.T) {
	p := shared.Path(t, "data", "articles", "20200818-ex-metropolitan-police-officer-from-tonbridge-forgives-man.txt")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := ParseText(filepath.Base(p), f)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ what, got, want string }{
		{"title", a.Title, "Ex-Metropolitan police officer from Tonbridge, forgives man who shot him"},
		{"published", a.Published.Format(time.RFC3339), "2020-08-18T15:59:00Z"},
		{"updated", a.Updated.Format(time.RFC3339), "2020-08-18T17:27:00Z"},
		{"author", a.Author, "Katie Heslop"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	if !strings.HasPrefix(a.Body, "An ex-police officer from Tonbridge") {
		t.Errorf("body starts %q", a.Body[:40])
	}
	for _, s := range []string{"Read more", "More by this author", "Katie Heslop"} {
		if strings.Contains(a.Body, s) {
			t.Errorf("body contains %q", s)
		}
	}
}

func TestParseTextSharedFolder(t *testing.T) {
	dir := shared.Path(t, "data", "articles")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 251 {
		t.Errorf("got %d files, want 251", len(files))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ParseText(filepath.Base(p), strings.NewReader(string(b)))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if strings.Contains(a.Body, "Read more:") || strings.Contains(a.Body, authorMarker) {
			t.Errorf("%s: trailer left in the body", p)
		}
	}
}

func FuzzParseText(f *testing.F) {
	f.Add(goodText)
	f.Add("")
	f.Add("T\nPublished: 10:00, 1 May 2020\nx\nMore by this author\n")
	f.Add("T\r\nPublished: 01:30, 29 March 2020\r\nUpdated: 01:30, 29 March 2020\r\n\xffbody")
	f.Fuzz(func(t *testing.T, in string) {
		a, err := ParseText("fuzz.txt", strings.NewReader(in))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		if a.Title == "" || a.Body == "" || a.Published.IsZero() {
			t.Fatalf("accepted an incomplete article: %+v", a)
		}
		if strings.Contains(a.Body, "\n\n") || strings.HasPrefix(a.Body, "Read more:") {
			t.Fatalf("body not normalized: %q", a.Body)
		}
	})
}
