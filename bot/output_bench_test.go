package bot

import (
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/internal/hostile"
	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// newsWords returns about n words of news-like text.
func newsWords(n int) string {
	const para = `Hollinsford council approved 240 homes by the River Wend on Monday, despite warnings from residents that the land floods every winter. ` +
		`"We have seen water up to the doorsteps three years in a row," said Ann Lee, 54, who lives on Mill Lane. ` +
		`The developer, Wendside Homes Ltd, said flood-resilient designs and a £2.4m drainage scheme would protect the site. ` +
		`Objectors can write to planning@hollinsford.gov.uk before 12 December; the plans are at https://hollinsford.gov.uk/planning/24-0193. ` +
		`Work is due to start in spring, with the first families moving in by late 2028.`
	words := strings.Fields(para + "\n\n" + strings.Repeat(para+"\n\n", n/len(strings.Fields(para))+1))
	return strings.Join(words[:n], " ")
}

// BenchmarkStoryEmbed renders the /story reply for a 1,000-word story with
// a 150-word summary (the output policy on every field, and the limits),
// and for a hostile 100 KB model reply. It reports the p99 per reply too.
func BenchmarkStoryEmbed(b *testing.B) {
	s := store.Story{ID: "abc123", Article: article.Article{Title: "Council approves 240 riverside homes despite flood warnings",
		Body: newsWords(1000), URL: "https://news.example/homes", Author: "Tom Okafor", Published: time.Unix(1700000000, 0)}}
	for _, c := range []struct{ name, summary string }{
		{"summary150words", newsWords(150)},
		{"hostile100KB", hostile.Cases()[len(hostile.Cases())-1].Text},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := commands.StoryReply{Story: s, Summary: summarize.Summary{Text: c.summary, Meta: generate.Meta{Engine: "gpt-4o-mini"}}}
			var lat []time.Duration
			for b.Loop() {
				t := time.Now()
				storyEmbed(r)
				lat = append(lat, time.Since(t))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-µs")
		})
	}
}

// BenchmarkCheckAndRender is what a model's reply costs between the model
// and Discord: the kernel's verdict on it as Summarize reaches it (the
// summary's own rules, the one check against a 1,000-word story and the
// real summary prompt's instructions) and the output policy on every field
// of the reply. It reports the p50 and p99 per reply.
func BenchmarkCheckAndRender(b *testing.B) {
	s := store.Story{ID: "abc123", Article: article.Article{Title: "Council approves 240 riverside homes despite flood warnings",
		Body: newsWords(1000), URL: "https://news.example/homes", Author: "Tom Okafor", Published: time.Unix(1700000000, 0)}}
	set, err := prompts.Load("")
	if err != nil {
		b.Fatal(err)
	}
	svc := summarize.NewService(summarize.Config{Prompts: set, Log: slog.New(slog.DiscardHandler)})
	in := summarize.Input{ID: s.ID, Title: s.Title, Body: s.Body}
	var reply string // whole sentences of the story, about 150 words
	for _, sent := range newstext.Split(s.Body) {
		if newstext.Words(reply+" "+sent) > 150 {
			break
		}
		reply = strings.TrimSpace(reply + " " + sent)
	}
	var lat []time.Duration
	for b.Loop() {
		t := time.Now()
		text, fb, _, err := svc.Check(in, summarize.Detailed, reply)
		if fb != nil || err != nil {
			b.Fatalf("the reply was rejected: %+v, %v", fb, err)
		}
		storyEmbed(commands.StoryReply{Story: s, Summary: summarize.Summary{Text: text, Meta: generate.Meta{Engine: "gpt-4o-mini"}}})
		lat = append(lat, time.Since(t))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-µs")
}
