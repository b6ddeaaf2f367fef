package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/storybot/storybot/commands"
)

func TestAsk(t *testing.T) {
	d, _, _ := deps(t, "mock")
	ctx := context.Background()
	tests := []struct {
		name, question, story string
		wantQuotes            []string
		wantTitle             string
		wantErr               error
	}{
		{name: "best match", question: "How many homes lost power?", wantQuotes: []string{"About 9,000 homes lost power overnight as Storm Imogen hit."}, wantTitle: "Storm cuts power to 9,000 homes"},
		{name: "chosen story", question: "Did the land flood?", story: "riverside homes", wantQuotes: []string{"Residents warned that the land floods."}, wantTitle: "Council approves 240 riverside homes"},
		{name: "nothing matches", question: "zebra giraffe", wantQuotes: []string{}},
		{name: "unknown story", question: "why?", story: "zebra", wantErr: commands.ErrNoMatch},
		{name: "empty question", question: "  ", wantErr: commands.ErrQuestion},
		{name: "long question", question: strings.Repeat("a", commands.MaxQuestion+1), wantErr: commands.ErrQuestion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := commands.Ask(ctx, d.Stories, tt.question, tt.story)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.wantQuotes, r.Quotes, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") })); diff != "" {
				t.Errorf("quotes (-want +got):\n%s", diff)
			}
			if r.Story.Title != tt.wantTitle {
				t.Errorf("got source %q, want %q", r.Story.Title, tt.wantTitle)
			}
			if !r.Answered() && r.Text() != "The stored stories don't say." {
				t.Errorf("got text %q for no answer", r.Text())
			}
		})
	}
}
