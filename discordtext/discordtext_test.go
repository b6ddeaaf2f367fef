package discordtext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/storybot/storybot/internal/hostile"
)

// The checker itself: each hostile string, as it is, is flagged (but the
// ones that only hold invisible or control characters, or nothing Discord
// draws, which Literal and Terminal check).
func TestCheckerFlagsRawHostileStrings(t *testing.T) {
	quiet := map[string]bool{"zero width joiners": false, "hangul filler": false, "html": false}
	for _, c := range hostile.Cases() {
		if len(hostile.Renders(c.Text, hostile.Options{Limit: MaxDescription})) == 0 {
			if _, ok := quiet[c.Name]; !ok {
				t.Errorf("%s: the checker finds nothing in %.60q", c.Name, c.Text)
			}
		}
	}
	if p := hostile.Renders("Council approves 240 homes. It cost £3m (a record).", hostile.Options{Limit: 100}); len(p) > 0 {
		t.Errorf("plain text flagged: %q", p)
	}
}

func TestMarkdownHostile(t *testing.T) {
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			for _, lim := range []int{MaxTitle, MaxFieldValue, MaxDescription} {
				got := FitSentences(Markdown(c.Text), lim)
				if p := hostile.Renders(strings.TrimSuffix(got, TrimNote), hostile.Options{Limit: lim}); len(p) > 0 {
					t.Errorf("limit %d: %q\n%.300q", lim, p, got)
				}
				got = CutEscaped(Markdown(c.Text), lim)
				if p := hostile.Renders(got, hostile.Options{Limit: lim}); len(p) > 0 {
					t.Errorf("CutEscaped %d: %q\n%.300q", lim, p, got)
				}
			}
			for _, lim := range []int{MaxChoiceName, MaxFooter} {
				got := Cut(Plain(c.Text), lim)
				if p := hostile.Literal(got, hostile.Options{Limit: lim}); len(p) > 0 {
					t.Errorf("Plain %d: %q\n%.300q", lim, p, got)
				}
				if strings.Contains(got, "\n") {
					t.Errorf("Plain %d holds a newline: %.300q", lim, got)
				}
			}
			if p := hostile.Terminal(Terminal(c.Text)); len(p) > 0 {
				t.Errorf("Terminal: %q\n%.300q", p, Terminal(c.Text))
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Council approves 240 homes", "Council approves 240 homes"},
		{"[council.gov.uk](https://elsewhere.example/x)", `[council.gov.uk]\(https\://elsewhere.example/x)`},
		{"<@123> @everyone", `\<\@123\> \@everyone`},
		{"# h\n1. one", "\\# h\n1\\. one"},
		{"a\u200bb\u202ec\xffd", "abc\ufffdd"},
		{"a\r\nb", "a\nb"},
		{"café 😀", "café 😀"},
	} {
		if got := Markdown(tt.in); got != tt.want {
			t.Errorf("Markdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlain(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"  Tom\n\tOkafor ", "Tom Okafor"},
		{"**Tom** <@1>", "**Tom** <@1>"}, // shown literally: nothing to escape
		{"a\u200bb\u202ec\u00add\xff", "abcd\ufffd"},
	} {
		if got := Plain(tt.in); got != tt.want {
			t.Errorf("Plain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTerminal(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b]0;title\x07after", "after"},
		{"\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"a\x1bcb", "ab"},
		{"\u009b2Jx", "x"},
		{"line\nnext\ttab", "line next tab"},
		{"\u202eabc", "abc"},
		{"bad\xff", "bad\ufffd"},
		{"\x1b[", ""},
	} {
		if got := Terminal(tt.in); got != tt.want {
			t.Errorf("Terminal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCut(t *testing.T) {
	if got := Cut("hello world again", 12); got != "hello world…" {
		t.Errorf("Cut = %q", got)
	}
	if got := Cut(strings.Repeat("😀", 10), 5); Units(got) > 5 || !utf8.ValidString(got) {
		t.Errorf("Cut of emoji = %q (%d units)", got, Units(got))
	}
	// A cut between a backslash and what it escapes drops the backslash.
	s := Markdown(strings.Repeat("a", 8) + "*b")
	if got := CutEscaped(s, 10); got != "aaaaaaaa…" {
		t.Errorf("CutEscaped(%q) = %q", s, got)
	}
	if got := CutEscaped(`aaaaaa\\bb`, 9); got != `aaaaaa\\…` {
		t.Errorf("CutEscaped kept an escaped backslash wrongly: %q", got)
	}
}

func TestFitSentences(t *testing.T) {
	text := strings.Repeat("The council met on Monday. ", 300)
	got := FitSentences(text, 1000)
	if Units(got) > 1000 || !strings.HasSuffix(got, "Monday."+TrimNote) {
		t.Errorf("FitSentences: %d units, ends %q", Units(got), got[max(0, len(got)-60):])
	}
	if got := FitSentences("short", 1000); got != "short" {
		t.Errorf("FitSentences(short) = %q", got)
	}
}

func TestSafeURL(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"https://example.com/a", "https://example.com/a", true},
		{"https://council.gov.uk@evil.example/", "https://evil.example/", true},
		{"https://news.example/b)[x](https://phish.example/", "https://news.example/b%29%5Bx%5D%28https://phish.example/", true},
		{"javascript:alert(1)", "", false},
		{"/relative", "", false},
		{"https://x.example/" + strings.Repeat("a", MaxURL), "", false},
	} {
		got, ok := SafeURL(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SafeURL(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLinkText(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"Storm cuts power [live]", "Storm cuts power (live)", true},
		{"Fans told @everyone welcome", "Fans told @everyone welcome", false},
		{"**bold**", "**bold**", false},
		{"see https://evil.example", "see https://evil.example", false},
		{"Title | Site", "Title | Site", true},
	} {
		got, ok := LinkText(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("LinkText(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMarkdownHead(t *testing.T) {
	for _, c := range hostile.Cases() {
		if m := Markdown(c.Text); Units(m) <= MaxTitle && MarkdownHead(c.Text, MaxTitle) != m {
			t.Errorf("%s: MarkdownHead %q, Markdown %q", c.Name, MarkdownHead(c.Text, MaxTitle), m)
		}
	}
	// Invisible characters do not count toward the head: the cut is
	// still seen, and marked.
	s := strings.Repeat("\u200b", 10000) + strings.Repeat("The council met. ", 100)
	got := FitSentences(MarkdownHead(s, 100), 100)
	if !strings.HasSuffix(got, TrimNote) || !strings.HasPrefix(got, "The council met.") {
		t.Errorf("got %q", got)
	}
}
