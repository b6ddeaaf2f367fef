package feed

import "testing"

func TestRedact(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://example.com/news.rss", "https://example.com/news.rss"},
		{"https://example.com/news.rss?page=2&lang=en", "https://example.com/news.rss?page=2&lang=en"},
		{"https://reader:pa55@example.com/feed", "https://REDACTED@example.com/feed"},
		{"https://reader@example.com/feed", "https://REDACTED@example.com/feed"},
		{"https://example.com/feed?token=abc&page=2", "https://example.com/feed?token=REDACTED&page=2"},
		{"https://example.com/feed?page=2&api_key=abc&apiKey=def", "https://example.com/feed?page=2&api_key=REDACTED&apiKey=REDACTED"},
		{"https://example.com/feed?access_token=a&secret=b&password=c&auth=d&sig=e&X-Amz-Signature=f",
			"https://example.com/feed?access_token=REDACTED&secret=REDACTED&password=REDACTED&auth=REDACTED&sig=REDACTED&X-Amz-Signature=REDACTED"},
		{"https://example.com/feed?%74oken=abc", "https://example.com/feed?%74oken=REDACTED"}, // escaped name
		{"https://example.com/feed?token", "https://example.com/feed?token"},                  // no value
		{"https://u:p@example.com/%zz?token=abc", "(a URL that does not parse)"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
