package console

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/answer"
	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/internal/hostile"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// TestHostileOutput: what the console (and "storybot story" and "ask")
// prints of a hostile story, model reply or message holds no control
// character, escape sequence or invisible character on any line.
func TestHostileOutput(t *testing.T) {
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			s := store.Story{ID: "abc123", Article: article.Article{Title: c.Text, Body: c.Text + "\n\n" + c.Text, URL: c.Text,
				Author: c.Text, Source: c.Text, Published: time.Unix(1700000000, 0).UTC()}}
			var b bytes.Buffer
			sr := commands.StoryReply{Story: s, Summary: summarize.Summary{Text: c.Text, Meta: generate.Meta{Engine: c.Text}}}
			if err := PrintStory(&b, sr, false); err != nil {
				t.Fatal(err)
			}
			ret := retrieve.Result{Sources: []store.Story{s}}
			cited := commands.AskReply{Question: c.Text, Retrieved: ret,
				Answer: answer.Reply{Text: c.Text + " [1]", Answered: true, Cited: []int{1}, Meta: generate.Meta{Engine: c.Text}}}
			quoted := commands.AskReply{Question: c.Text, Retrieved: ret,
				Answer: answer.Reply{Quotes: []answer.Quote{{Text: c.Text, Source: 1}}, Answered: true, Cited: []int{1},
					Meta: generate.Meta{Engine: generate.Extractive, Fallback: &generate.Fallback{Reason: c.Text}}}}
			if err := PrintAnswer(&b, cited, false); err != nil {
				t.Fatal(err)
			}
			if err := PrintAnswer(&b, quoted, false); err != nil {
				t.Fatal(err)
			}
			// Through the console's own rendering of the router's replies.
			for _, rep := range []commands.Reply{
				{Story: &sr, Note: c.Text}, {Ask: &cited}, {Ask: &quoted},
				{Message: c.Text + "\n" + c.Text}, {Message: c.Text, Outcome: commands.OutcomeRefused},
			} {
				printReply(&b, &b, rep)
			}
			for i, line := range strings.Split(b.String(), "\n") {
				if p := hostile.Terminal(line); len(p) > 0 {
					t.Errorf("line %d: %q\n%.200q", i+1, p, line)
				}
			}
		})
	}
}

// The console prints a router's reply as PrintStory and PrintAnswer do.
func TestPrintReplySameAsPrint(t *testing.T) {
	s := store.Story{ID: "abc123", Article: article.Article{Title: "Flood", URL: "https://news.example/flood",
		Published: time.Date(2026, 11, 2, 18, 42, 0, 0, time.UTC)}}
	sr := commands.StoryReply{Story: s, Summary: summarize.Summary{Text: strings.Repeat("The river rose. ", 12), Meta: generate.Meta{Engine: "mock"}}}
	ar := commands.AskReply{Question: "Did it flood?", Retrieved: retrieve.Result{Sources: []store.Story{s}},
		Answer: answer.Reply{Text: "Yes [1].", Answered: true, Cited: []int{1}, Meta: generate.Meta{Engine: "mock"}}}
	var want, got, errb bytes.Buffer
	_ = PrintStory(&want, sr, false)
	_ = PrintAnswer(&want, ar, false)
	printReply(&got, &errb, commands.Reply{Story: &sr})
	printReply(&got, &errb, commands.Reply{Ask: &ar})
	if got.String() != want.String() || errb.Len() != 0 {
		t.Errorf("got %q (stderr %q), want %q", got.String(), errb.String(), want.String())
	}
	if !strings.Contains(got.String(), "ID:        abc123\nPublished: 2026-11-02 18:42 UTC\nURL:       https://news.example/flood\n") {
		t.Errorf("story header missing:\n%s", got.String())
	}
	for _, line := range strings.Split(got.String(), "\n") {
		if n := len([]rune(line)); n > width {
			t.Errorf("line of %d characters, want at most %d: %q", n, width, line)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tt := range []struct {
		in   string
		w    int
		want string
	}{
		{"", 10, ""},
		{"  one  two\tthree ", 9, "one two\nthree"},
		{"ééééé ééééé", 11, "ééééé ééééé"},
		{"ééééé ééééé", 10, "ééééé\nééééé"},
		{"averyveryverylongword x", 5, "averyveryverylongword\nx"},
	} {
		if got := wrap(tt.in, tt.w); got != tt.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
}
