package summarize

import (
	"strings"
	"testing"
)

func TestParseStyle(t *testing.T) {
	tests := []struct {
		in      string
		want    Style
		wantErr bool
	}{
		{"brief", Brief, false},
		{"standard", Standard, false},
		{" Detailed ", Detailed, false},
		{"", 0, true},
		{"long", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseStyle(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseStyle(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseStyle(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "brief, standard, detailed") {
				t.Errorf("ParseStyle(%q) error = %q, want it to list the styles", tt.in, err)
			}
		})
	}
}

func TestStyleStringRoundTrip(t *testing.T) {
	for _, s := range []Style{Brief, Standard, Detailed} {
		t.Run(s.String(), func(t *testing.T) {
			got, err := ParseStyle(s.String())
			if err != nil || got != s {
				t.Errorf("ParseStyle(%q) = %v, %v; want %v, nil", s.String(), got, err, s)
			}
		})
	}
	if got, want := Style(9).String(), "Style(9)"; got != want {
		t.Errorf("Style(9).String() = %q, want %q", got, want)
	}
}

func TestBudget(t *testing.T) {
	tests := []struct {
		style Style
		want  Budget
	}{
		{Brief, Budget{MinSentences: 1, MaxSentences: 2, MaxWords: 45}},
		{Standard, Budget{MinSentences: 2, MaxSentences: 4, MaxWords: 90}},
		{Detailed, Budget{MinSentences: 5, MaxSentences: 6, MaxWords: 160}},
	}
	for _, tt := range tests {
		t.Run(tt.style.String(), func(t *testing.T) {
			if got := tt.style.Budget(); got != tt.want {
				t.Errorf("%v.Budget() = %+v, want %+v", tt.style, got, tt.want)
			}
		})
	}
}
