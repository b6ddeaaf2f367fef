package summarize_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/check"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/summarize"
)

const source = `Council approves 300 homes
The city council approved 1,000 new homes on Monday after a four-hour debate.
Residents of Brixton objected to the height of the towers. "We were not asked," said Ana Silva, who leads the tenants’ group.
The Anglo-French builder said the work would cost £1.5m and start in spring 2026.
She added: ‘We will fight this in court.’ Two councillors voted against.`

func TestStripPreamble(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Here is a summary of the article: The council approved homes.", "The council approved homes."},
		{"Here's a brief summary: The council approved homes.", "The council approved homes."},
		{"Sure! Here is the summary of the article. The council approved homes.", "The council approved homes."},
		{"Certainly, here is a short summary in 2 sentences: Homes.", "Homes."},
		{"Summary: The council approved homes.", "The council approved homes."},
		{"**Summary:** The council approved homes.", "The council approved homes."},
		{"Brief summary: Homes.", "Homes."},
		{"Here, residents objected to the homes.", "Here, residents objected to the homes."},
		{"Here is where the homes will go, the council said.", "Here is where the homes will go, the council said."},
		{"The council approved homes.", "The council approved homes."},
	}
	for _, tt := range tests {
		if got := summarize.StripPreamble(tt.in); got != tt.want {
			t.Errorf("StripPreamble(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	long := func(sentences int) string {
		return strings.Repeat("The city council approved new homes on Monday after a debate. ", sentences)
	}
	tests := []struct {
		name, reply string
		style       summarize.Style
		wantText    string
		wantCode    string // "" when accepted
	}{
		{"accepted", "The city council approved 1,000 new homes on Monday.", summarize.Brief, "The city council approved 1,000 new homes on Monday.", ""},
		{"think and preamble removed", "<think>The user wants a summary.</think>\nHere is a summary:\n\nThe council approved  homes.", summarize.Brief, "The council approved homes.", ""},
		{"empty", "   ", summarize.Brief, "", generate.FallbackEmpty},
		{"only thinking", "<think>I should summarize", summarize.Brief, "", generate.FallbackEmpty},
		{"only preamble", "Here is a summary of the article:", summarize.Brief, "", generate.FallbackEmpty},
		{"mid-sentence", "The council approved 1,000 new homes on", summarize.Brief, "", generate.FallbackTruncated},
		{"ends in a quote", `Silva said "We were not asked."`, summarize.Brief, `Silva said "We were not asked."`, ""},
		// Brief is 45 words; each sentence is 11 words.
		{"within budget", long(4), summarize.Brief, strings.TrimSpace(long(4)), ""},
		{"a little over: cut back", long(5), summarize.Brief, strings.TrimSpace(long(4)), ""},
		{"far over", long(7), summarize.Brief, "", generate.FallbackTooLong},
		{"one long sentence over", strings.Repeat("homes and ", 25) + "homes.", summarize.Brief, "", generate.FallbackTooLong},
		{"unfaithful", "The council approved 1,000 homes. " + mock.Hallucination, summarize.Standard, "", generate.FallbackUnfaithful},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, fb, _ := checkReply(t, tt.reply, source, tt.style)
			code := ""
			if fb != nil {
				code = fb.Code
			}
			if text != tt.wantText || code != tt.wantCode {
				t.Errorf("got %q, fallback %q; want %q, fallback %q", text, code, tt.wantText, tt.wantCode)
			}
		})
	}
}

// The mock's normal answer (the article's first sentences, verbatim) must
// pass every check for every shared article and style: a check that rejects
// it would reject faithful summaries.
func TestCheckPassesMockRepliesOnSharedArticles(t *testing.T) {
	dir := shared.Path(t, "data", "articles")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := article.ParseText(filepath.Base(f), strings.NewReader(string(b)))
		if err != nil {
			continue // the one file the parser rejects on purpose
		}
		for _, style := range []summarize.Style{summarize.Brief, summarize.Standard, summarize.Detailed} {
			p, err := set.Summary(a.Title, a.Body, style.String())
			if err != nil {
				t.Fatal(err)
			}
			reply := mock.Reply(p.System, p.User)
			text, fb, findings := checkReply(t, reply, a.Title+"\n"+a.Body, style)
			if fb != nil {
				t.Errorf("%s, %v: got fallback %q %v, want the mock's reply accepted\nreply: %s", filepath.Base(f), style, fb.Code, findings, reply)
				continue
			}
			if text != reply {
				t.Errorf("%s, %v: got %q, want the reply unchanged %q", filepath.Base(f), style, text, reply)
			}
			// The hallucinating mock must be caught on every article.
			if _, fb, _ := checkReply(t, reply+" "+mock.Hallucination, a.Title+"\n"+a.Body, style); fb == nil || fb.Code != generate.FallbackUnfaithful {
				t.Errorf("%s, %v: got %v for the hallucinated reply, want unfaithful", filepath.Base(f), style, fb)
			}
		}
		n++
	}
	if n != 251 {
		t.Errorf("got %d articles, want 251", n)
	}
}

// checkReply runs a Service's Check on reply as a summary of source (its
// title on the first line), with the built-in prompts.
func checkReply(t testing.TB, reply, source string, style summarize.Style) (string, *generate.Fallback, []check.Finding) {
	t.Helper()
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	title, body, _ := strings.Cut(source, "\n")
	svc := summarize.NewService(summarize.Config{Prompts: set})
	text, fb, f, err := svc.Check(summarize.Input{ID: "test", Title: title, Body: body}, style, reply)
	if err != nil {
		t.Fatal(err)
	}
	return text, fb, f
}
