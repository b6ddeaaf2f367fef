package check

import (
	"regexp"
	"strings"
)

// linkish matches what Discord would draw as a link, a mention or a channel,
// or what reads as an address to follow: URLs with a scheme or "www.",
// masked links ("[text](…"), angle-bracket tags ("<@123>", "<@&1>", "<#1>",
// "<https://…>") and the mass mentions.
var linkish = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>()\[\]"']+` +
	`|\]\(` +
	`|<[@#][!&]?\d*>?` +
	`|@(?:everyone|here)\b` +
	`|discord(?:\.gg|app\.com/invite|\.com/invite)/\S+`)

// appendLinks adds a RuleLink finding for each link, URL or mention in text
// that the source does not hold word for word (case aside).
func (c *Checker) appendLinks(out []Finding, text string) []Finding {
	if !mayLink(text) {
		return out // the common case, without the regular expression's cost
	}
	// Only the words that could hold a match go through the regular
	// expression: a long text with one URL costs little more than one
	// without.
	for w := range strings.FieldsSeq(text) {
		if !mayLink(w) {
			continue
		}
		for _, m := range linkish.FindAllString(w, -1) {
			if !c.sourceLinks()[lower(m)] {
				out = append(out, Finding{Rule: RuleLink, Text: m})
			}
		}
	}
	return out
}

// sourceLinks are the links, URLs and mentions the source holds, whole and
// lower-cased: a text may repeat one of them, not a part of one
// ("https://bbc.co" is not "https://bbc.co.uk/news").
func (c *Checker) sourceLinks() map[string]bool {
	if c.links == nil {
		c.links = map[string]bool{}
		for w := range strings.FieldsSeq(c.lower()) {
			if !mayLink(w) {
				continue
			}
			for _, m := range linkish.FindAllString(w, -1) {
				c.links[m] = true
			}
		}
	}
	return c.links
}

// mayLink reports whether text holds anything linkish could match: a
// cheap test before the regular expression.
func mayLink(text string) bool {
	for _, sub := range []string{"://", "](", "<@", "<#"} {
		if strings.Contains(text, sub) {
			return true
		}
	}
	for _, sub := range []string{"@everyone", "@here", "www.", "discord"} {
		if containsFold(text, sub) {
			return true
		}
	}
	return false
}

// containsFold reports whether s holds sub, a lower-case ASCII string, in
// any ASCII case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c == sub[0] && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
