package summarize_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/summarize"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu  sync.Mutex
	obs []summarize.Observation
}

func (r *recorder) ObserveSummary(o summarize.Observation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.obs = append(r.obs, o)
}

// seen is the part of an Observation a test can predict.
type seen struct {
	Cached, CacheChecked bool
	Fallback             string
}

func (r *recorder) seen(t *testing.T) []seen {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []seen
	for _, o := range r.obs {
		if o.Duration < 0 {
			t.Errorf("got duration %v, want at least 0", o.Duration)
		}
		s := seen{Cached: o.Summary.Cached, CacheChecked: o.CacheChecked}
		if o.Summary.Fallback != nil {
			s.Fallback = o.Summary.Fallback.Code
		}
		out = append(out, s)
	}
	return out
}

func TestObserver(t *testing.T) {
	tests := []struct {
		name  string
		setup setup
		calls []summarize.Options
		want  []seen
	}{
		{
			name:  "miss then hit then fresh",
			calls: []summarize.Options{{}, {}, {Fresh: true}},
			want:  []seen{{CacheChecked: true}, {Cached: true, CacheChecked: true}, {}},
		},
		{
			name:  "no cache",
			setup: setup{noCache: true},
			calls: []summarize.Options{{}},
			want:  []seen{{}},
		},
		{
			name:  "fallback",
			setup: setup{model: mock.FaultError500},
			calls: []summarize.Options{{}},
			want:  []seen{{CacheChecked: true, Fallback: generate.FallbackServer}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			tt.setup.obs = rec
			e := newEnv(t, tt.setup)
			for _, o := range tt.calls {
				e.summarize(t, o)
			}
			if diff := cmp.Diff(tt.want, rec.seen(t)); diff != "" {
				t.Errorf("observations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestObserverModelOffAndErrors(t *testing.T) {
	rec := &recorder{}
	svc := summarize.NewService(summarize.Config{Log: slog.New(slog.DiscardHandler), Observer: rec})
	if _, err := svc.Summarize(context.Background(), story, summarize.Brief, summarize.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Summarize(context.Background(), summarize.Input{ID: "x", Body: " "}, summarize.Brief, summarize.Options{}); err == nil {
		t.Fatal("got no error for a story without text, want one")
	}
	want := []seen{{Fallback: generate.FallbackOff}}
	if diff := cmp.Diff(want, rec.seen(t)); diff != "" {
		t.Errorf("observations (-want +got):\n%s (an error is not observed)", diff)
	}
}
