package jsonl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/storybot/storybot/internal/jsonl"
)

type item struct {
	N int `json:"n"`
}

func TestRead(t *testing.T) {
	o := jsonl.Options{What: "an item", Plural: "items", MaxLine: 64, Strict: true}
	positive := func(v *item) error {
		if v.N <= 0 {
			return errors.New(`"n" must be positive`)
		}
		return nil
	}
	tests := []struct {
		name, in, wantErr string
		want              int
	}{
		{"two, a blank line between", "{\"n\":1}\n\n  {\"n\":2}  \n", "", 2},
		{"not JSON", "{\"n\":1}\nnope\n", "d.jsonl:2: not a JSON object of an item", 0},
		{"two values", "{\"n\":1} {\"n\":2}\n", "d.jsonl:1: more than one JSON value", 0},
		{"unknown field", "{\"m\":1}\n", "d.jsonl:1: not a JSON object of an item", 0},
		{"check fails", "{\"n\":1}\n{\"n\":0}\n", `d.jsonl:2: "n" must be positive`, 0},
		{"empty", "\n\n", "d.jsonl: no items", 0},
		{"too long", "{\"n\":" + strings.Repeat("1", 100) + "}\n", "d.jsonl:1: line longer than 64 bytes", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonl.Read("d.jsonl", strings.NewReader(tt.in), o, positive)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != tt.want {
				t.Errorf("got %v, %v; want %d items", got, err, tt.want)
			}
		})
	}
}
