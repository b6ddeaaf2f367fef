package newstext

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"blank", " \n\t ", nil},
		{"one sentence without stop", "Storms hit the coast", []string{"Storms hit the coast"}},
		{"plain", "The storm hit. Homes flooded! Who pays? Nobody knows.",
			[]string{"The storm hit.", "Homes flooded!", "Who pays?", "Nobody knows."}},
		{"line breaks end sentences", "First paragraph without stop\nSecond one.",
			[]string{"First paragraph without stop", "Second one."}},
		{"british titles without dot", "Mr Smith met Dr Jones. They talked.",
			[]string{"Mr Smith met Dr Jones.", "They talked."}},
		{"american titles with dot", "Mr. Smith met Dr. Jones and Mrs. Brown. Gov. Ray Stone agreed.",
			[]string{"Mr. Smith met Dr. Jones and Mrs. Brown.", "Gov. Ray Stone agreed."}},
		{"saint and military ranks", "He flew to St. Louis with Sgt. Pepper. It rained.",
			[]string{"He flew to St. Louis with Sgt. Pepper.", "It rained."}},
		{"initials", "The books of J. K. Rowling sold well. George W. Bush read them.",
			[]string{"The books of J. K. Rowling sold well.", "George W. Bush read them."}},
		{"acronym mid-sentence", "The U.S. Army said the U.N. Security Council met.",
			[]string{"The U.S. Army said the U.N. Security Council met."}},
		{"acronym ending a sentence", "He moved to the U.S. The move paid off.",
			[]string{"He moved to the U.S.", "The move paid off."}},
		{"times", "It opens at 10 a.m. The queue starts at 9 a.m. on Sundays.",
			[]string{"It opens at 10 a.m.", "The queue starts at 9 a.m. on Sundays."}},
		{"decimals and money", "Prices rose 3.5 per cent to £2.40. Sales fell.",
			[]string{"Prices rose 3.5 per cent to £2.40.", "Sales fell."}},
		{"numbered abbreviation", "He lives at No. 10 Downing Street. Jan. 5 was cold.",
			[]string{"He lives at No. 10 Downing Street.", "Jan. 5 was cold."}},
		{"versus", "Chelsea vs. Arsenal ended 2-1. Fans left.",
			[]string{"Chelsea vs. Arsenal ended 2-1.", "Fans left."}},
		{"ellipsis", "He waited... Then he left. It was over… Or was it?",
			[]string{"He waited...", "Then he left.", "It was over…", "Or was it?"}},
		{"ellipsis mid-sentence", "He said it was ... well, fine.",
			[]string{"He said it was ... well, fine."}},
		{"quote ends sentence", `He said: "I'm fine." Then he left.`,
			[]string{`He said: "I'm fine."`, "Then he left."}},
		{"quote continues", `"Are you ok?" she asked. "Yes," he said.`,
			[]string{`"Are you ok?" she asked.`, `"Yes," he said.`}},
		{"curly single quotes", "‘I’d be over the moon,’ said Locke. ‘It’s a great club.’ He smiled.",
			[]string{"‘I’d be over the moon,’ said Locke.", "‘It’s a great club.’", "He smiled."}},
		{"nested quotes", `‘He told me “go home.” I did,’ she said. Police agreed.`,
			[]string{`‘He told me “go home.”`, `I did,’ she said.`, "Police agreed."}},
		{"quote closing after the stop", "He called it ‘rubbish’. Others disagreed.",
			[]string{"He called it ‘rubbish’.", "Others disagreed."}},
		{"bracketed sentence", "The club won. (It had not won since May.) Fans cheered.",
			[]string{"The club won.", "(It had not won since May.)", "Fans cheered."}},
		{"caption run into a sentence", "Kilmarnock went unbeaten during Locke's first six games in charge of the club He has impressed Mann.",
			[]string{"Kilmarnock went unbeaten during Locke's first six games in charge of the club", "He has impressed Mann."}},
		{"caption run into a quotation", "Kilmarnock will confirm Gary Locke as the new manager on Friday ‘I’d be over the moon to get it,’ said Locke.",
			[]string{"Kilmarnock will confirm Gary Locke as the new manager on Friday", "‘I’d be over the moon to get it,’ said Locke."}},
		{"caption after a closing quote", "Fighter ace: his story is to be told in a film dubbed ‘The First Great Escape’ The story of how he recovered is told.",
			[]string{"Fighter ace: his story is to be told in a film dubbed ‘The First Great Escape’", "The story of how he recovered is told."}},
		{"newspaper name is no caption", "The minister told The Sun that he would stay.",
			[]string{"The minister told The Sun that he would stay."}},
		{"introduced quotation is no caption", "He later said ‘We will fight on, whatever happens,’ and left.",
			[]string{"He later said ‘We will fight on, whatever happens,’ and left."}},
		{"scare quotes are no caption", "The group calls itself ‘Islamic State’ and holds towns.",
			[]string{"The group calls itself ‘Islamic State’ and holds towns."}},
		{"lowercase after stop", "Apple Inc. said sales grew. e.g. more phones.",
			[]string{"Apple Inc. said sales grew. e.g. more phones."}},
		{"dateline", "(CNN)They may not be aliens. A NASA scientist says so.",
			[]string{"(CNN)They may not be aliens.", "A NASA scientist says so."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Split(%q)\ngot  %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"Mr. Smith went to Washington. He stayed.",
		"‘I’d be over the moon,’ said Locke. ‘It’s great.’",
		"The U.S. Army... “Go!” he said? (Really.)",
		"caption here He said ‘Hello there my friend,’ and left\nNext.",
		"a.m. p.m. 3.5 … ... !? ’” \u00a0 end",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		got := Split(text)
		for i, s := range got {
			if strings.TrimSpace(s) == "" || s != strings.TrimSpace(s) {
				t.Fatalf("sentence %d is %q: want non-empty and trimmed", i, s)
			}
		}
		if g, w := strings.Fields(strings.Join(got, " ")), strings.Fields(text); !slices.Equal(g, w) {
			t.Fatalf("joined sentences have words %q, want the text's %q", g, w)
		}
	})
}
