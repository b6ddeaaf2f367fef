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
	`|\]\s*\(` +
	`|<[@#][!&]?\d*>?` +
	`|@(?:everyone|here)\b` +
	`|discord(?:\.gg|app\.com/invite|\.com/invite)/\S+`)

// appendLinks adds a RuleLink finding for each link, URL or mention in text
// that the source does not hold word for word (case aside).
func (c *Checker) appendLinks(out []Finding, text string) []Finding {
	for _, m := range linkish.FindAllString(text, -1) {
		if !strings.Contains(c.lower(), strings.ToLower(m)) {
			out = append(out, Finding{Rule: RuleLink, Text: m})
		}
	}
	return out
}
