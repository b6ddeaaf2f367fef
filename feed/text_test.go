package feed

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Plain text\n\n  second   line ", "Plain text\nsecond line"},
		{"Tom &amp; Jerry\nnext", "Tom & Jerry\nnext"},
		{"<p>One <b>bold</b> word.</p><p>Two</p>", "One bold word.\nTwo"},
		{"<script>alert(1)</script><style>p{}</style>Text<br>more", "Text\nmore"},
		{"<div>a</div><ul><li>b</li><li>c</li></ul>", "a\nb\nc"},
		{"unclosed <b>tag", "unclosed tag"},
		{"bad \xff utf-8 \x00 nul", "bad utf-8 nul"},
	}
	for _, tt := range tests {
		if got := htmlText(tt.in); got != tt.want {
			t.Errorf("htmlText(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzHTMLText: any input gives valid UTF-8 paragraphs, one a line, with
// no empty or untrimmed line.
func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{"", "<p>a</p>", "a &amp; b", "<![CDATA[x]]>", "<p>\u00a0</p>", "<pre>  x\n\n y</pre>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlText(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if out == "" {
			return
		}
		for _, line := range strings.Split(out, "\n") {
			if line == "" || line != strings.Join(strings.Fields(line), " ") {
				t.Fatalf("line %q of %q is empty or has extra space", line, out)
			}
		}
	})
}
