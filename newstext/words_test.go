package newstext

import "testing"

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"   ", 0},
		{"one", 1},
		{"two words", 2},
		{"a - dash", 2},
		{"U.S.-led forces", 2},
		{"“Quoted,” he said.", 3},
		{"£2.40 … 3.5%", 2},
		{"tab\tand\nnewline", 3},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Words(tt.in); got != tt.want {
				t.Errorf("Words(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestEndsSentence(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"Homes were approved.", true},
		{`He said "no."`, true},
		{"Was it? ", true},
		{"Power went out।", true},
		{"停电了。", true},
		{"And then…", true},
		{"The council approved", false},
		{"The council approved,", false},
		{"", false},
	} {
		if got := EndsSentence(tt.s); got != tt.want {
			t.Errorf("EndsSentence(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
