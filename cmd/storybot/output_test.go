package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/answer"
	"github.com/storybot/storybot/article"
	cmds "github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/internal/hostile"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// TestConsoleHostileOutput: what the console (and "storybot story", "ask",
// "show", "list") prints of a hostile story or model reply holds no control
// character, escape sequence or invisible character on any line.
func TestConsoleHostileOutput(t *testing.T) {
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			s := store.Story{ID: "abc123", Article: article.Article{Title: c.Text, Body: c.Text + "\n\n" + c.Text, URL: c.Text,
				Author: c.Text, Source: c.Text, Published: time.Unix(1700000000, 0).UTC()}}
			var b bytes.Buffer
			r := cmds.StoryReply{Story: s, Summary: summarize.Summary{Text: c.Text, Meta: generate.Meta{Engine: c.Text}}}
			printStoryHeader(&b, r)
			printSummary(&b, r)
			printStory(&b, s)
			ret := retrieve.Result{Sources: []store.Story{s}}
			printAnswer(&b, cmds.AskReply{Question: c.Text, Retrieved: ret,
				Answer: answer.Reply{Text: c.Text + " [1]", Answered: true, Cited: []int{1}, Meta: generate.Meta{Engine: c.Text}}})
			printAnswer(&b, cmds.AskReply{Question: c.Text, Retrieved: ret,
				Answer: answer.Reply{Quotes: []answer.Quote{{Text: c.Text, Source: 1}}, Answered: true, Cited: []int{1},
					Meta: generate.Meta{Engine: generate.Extractive, Fallback: &generate.Fallback{Reason: c.Text}}}})
			for i, line := range strings.Split(b.String(), "\n") {
				if p := hostile.Terminal(line); len(p) > 0 {
					t.Errorf("line %d: %q\n%.200q", i+1, p, line)
				}
			}
		})
	}
}
