package health

import "testing"

func TestDialable(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"0.0.0.0:8080", "127.0.0.1:8080"},
		{":8080", "127.0.0.1:8080"},
		{"[::]:8080", "[::1]:8080"},
		{"10.0.0.2:8080", "10.0.0.2:8080"},
		{"localhost:8080", "localhost:8080"},
	} {
		if got := dialable(tt.in); got != tt.want {
			t.Errorf("dialable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
