package discordtext

import (
	"strings"
	"testing"

	"github.com/storybot/storybot/internal/hostile"
)

// newsText returns about n words of news-like text: sentences with
// numbers, quotes, hyphens, an e-mail address and a URL now and then.
func newsText(n int) string {
	const para = `Hollinsford council approved 240 homes by the River Wend on Monday, despite warnings from residents that the land floods every winter. ` +
		`"We have seen water up to the doorsteps three years in a row," said Ann Lee, 54, who lives on Mill Lane. ` +
		`The developer, Wendside Homes Ltd, said flood-resilient designs and a £2.4m drainage scheme would protect the site. ` +
		`Objectors can write to planning@hollinsford.gov.uk before 12 December; the plans are at https://hollinsford.gov.uk/planning/24-0193. ` +
		`Work is due to start in spring, with the first families moving in by late 2028.`
	words := len(strings.Fields(para))
	var b strings.Builder
	for w := 0; w < n; w += words {
		b.WriteString(para)
		b.WriteString("\n\n")
	}
	return strings.TrimSpace(b.String())
}

// BenchmarkMarkdown: the output policy as an embed's description gets it
// (MarkdownHead, then FitSentences) on a 1,000-word story, a 150-word
// summary and a 100 KB hostile reply; and Markdown of the whole story.
func BenchmarkMarkdown(b *testing.B) {
	hostile100KB := hostile.Cases()[len(hostile.Cases())-1].Text
	for _, c := range []struct {
		name string
		text string
	}{
		{"story1000words", newsText(1000)},
		{"summary150words", newsText(150)},
		{"hostile100KB", hostile100KB},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				FitSentences(MarkdownHead(c.text, MaxDescription), MaxDescription)
			}
		})
	}
	b.Run("story1000words/whole", func(b *testing.B) {
		s := newsText(1000)
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			Markdown(s)
		}
	})
}

func BenchmarkPlain(b *testing.B) {
	s := newsText(20)
	for b.Loop() {
		Plain(s)
	}
}

func BenchmarkTerminal(b *testing.B) {
	s := newsText(150)
	for b.Loop() {
		Terminal(s)
	}
}
