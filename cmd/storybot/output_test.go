package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/internal/hostile"
	"github.com/storybot/storybot/store"
)

// TestShowHostileOutput: what "storybot show" prints of a hostile story
// holds no control character, escape sequence or invisible character on
// any line. (Package console tests what the console, "storybot story" and
// "storybot ask" print.)
func TestShowHostileOutput(t *testing.T) {
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			s := store.Story{ID: "abc123", Article: article.Article{Title: c.Text, Body: c.Text + "\n\n" + c.Text, URL: c.Text,
				Author: c.Text, Source: c.Text, Published: time.Unix(1700000000, 0).UTC()}}
			var b bytes.Buffer
			printStory(&b, s)
			for i, line := range strings.Split(b.String(), "\n") {
				if p := hostile.Terminal(line); len(p) > 0 {
					t.Errorf("line %d: %q\n%.200q", i+1, p, line)
				}
			}
		})
	}
}
