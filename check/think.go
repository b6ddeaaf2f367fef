package check

import "strings"

// StripThink removes the reasoning that "thinking" models (DeepSeek-R1, Qwen3,
// …) write before their answer: every <think>…</think> block (any case), an
// unclosed <think> with everything after it (the answer never came), and,
// when a server drops the opening tag, everything up to a leading </think>.
func StripThink(s string) string {
	lower := strings.ToLower(s)
	if !strings.Contains(lower, "think>") {
		return s // the common case: no tags at all
	}
	// A </think> before any <think>: the server dropped the opening tag.
	if end := strings.Index(lower, "</think>"); end >= 0 {
		if open := strings.Index(lower, "<think>"); open < 0 || open > end {
			s, lower = s[end+len("</think>"):], lower[end+len("</think>"):]
		}
	}
	var b strings.Builder
	for {
		open := strings.Index(lower, "<think>")
		if open < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:open])
		rest := lower[open+len("<think>"):]
		end := strings.Index(rest, "</think>")
		if end < 0 {
			break // unclosed: the rest is reasoning
		}
		skip := open + len("<think>") + end + len("</think>")
		s, lower = s[skip:], lower[skip:]
	}
	return b.String()
}
