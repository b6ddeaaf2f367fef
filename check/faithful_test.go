package check_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/check"
	"github.com/storybot/storybot/llm/mock"
)

const source = `Council approves 300 homes
The city council approved 1,000 new homes on Monday after a four-hour debate.
Residents of Brixton objected to the height of the towers. "We were not asked," said Ana Silva, who leads the tenants’ group.
The Anglo-French builder said the work would cost £1.5m and start in spring 2026.
She added: ‘We will fight this in court.’ Two councillors voted against.`

func TestUnsupported(t *testing.T) {
	tests := []struct {
		name, summary string
		want          []check.Finding
	}{
		{"verbatim", "The city council approved 1,000 new homes on Monday after a four-hour debate.", nil},
		{"number without separator", "The council approved 1000 homes.", nil},
		{"number with separator", "Councillors approved 1,000 homes, costing 1.5 million pounds.", nil},
		{"number word in source", "2 councillors voted against.", nil},
		{"year", "Work starts in 2026.", nil},
		{"invented number", "The council approved 1,200 homes.", []check.Finding{{check.RuleNumber, "1,200"}}},
		{"invented decimal", "It will cost £2.5m.", []check.Finding{{check.RuleNumber, "2.5m"}}},
		{"quote verbatim", `Ana Silva said "We were not asked".`, nil},
		{"quote different case and punctuation", `Residents said “we were not asked.”`, nil},
		{"quote with ellipsis", `Silva said: "We were … asked."`, nil},
		{"curly single quote", `She said ‘We will fight this in court’.`, nil},
		{"invented quote", `Silva said "This is a scandal".`, []check.Finding{{check.RuleQuote, "This is a scandal"}}},
		{"invented curly single quote", `She said ‘We will win’.`, []check.Finding{{check.RuleQuote, "We will win"}}},
		{"apostrophes are not quotes", "The tenants’ group, led by Silva, objected; Silva’s group won’t stop.", nil},
		{"unclosed quote skipped", `Silva said "We were not told anything at all`, nil},
		{"names in source", "Residents of Brixton and Ana Silva objected.", nil},
		{"name case-insensitive", "The City Council approved homes.", nil},
		{"possessive", "Silva's group objected.", nil},
		{"hyphenated", "The Anglo-French builder will start.", nil},
		{"invented hyphen part", "The Anglo-German builder will start.", []check.Finding{{check.RuleName, "Anglo-German"}}},
		{"sentence-initial exempt", "Homes were approved. Residents objected.", nil},
		{"after colon exempt", "One thing is clear: Everyone was there.", nil},
		{"I and titles exempt", "Mr Silva and Dr Silva said I was right.", nil},
		{"invented name", "The mayor, Zebulon Quartermaine, approved the homes.", []check.Finding{{check.RuleName, "Zebulon"}, {check.RuleName, "Quartermaine"}}},
		{"invented place", "Residents of Camden objected.", []check.Finding{{check.RuleName, "Camden"}}},
		{"title words count", "Council approves 300 homes.", nil},
		{"mock hallucination", "The council approved homes. " + mock.Hallucination,
			[]check.Finding{{check.RuleNumber, "9,731"}, {check.RuleName, "Zebulon"}, {check.RuleName, "Quartermaine"}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check.Unsupported(tt.summary, source)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Unsupported(%q) mismatch (-want +got):\n%s", tt.summary, diff)
			}
		})
	}
}

func TestStripThink(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Plain answer.", "Plain answer."},
		{"<think>Let me see.</think>The answer.", "The answer."},
		{"<THINK>\nhmm\n</THINK>\n\nThe answer.", "\n\nThe answer."},
		{"<think>a</think>One. <think>b</think>Two.", "One. Two."},
		{"<think>never finished", ""},
		{"The answer. <think>second thoughts", "The answer. "},
		{"reasoning without the opening tag</think>The answer.", "The answer."},
		{"", ""},
	}
	for _, tt := range tests {
		if got := check.StripThink(tt.in); got != tt.want {
			t.Errorf("StripThink(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
