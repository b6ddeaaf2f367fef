package summarize

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/newstext"
)

// story is a small article written for these tests.
const story = `A council has approved plans for 300 new homes on the edge of Ashford, despite objections from residents.
The scheme, on farmland north of the town, includes a primary school and a new link road.
Councillor Jane Reed, who chairs the planning committee, said the homes were badly needed.
"We cannot keep saying no to families who want to live here," she said.
Residents had warned that the roads could not cope with more traffic.
Planning officers said the link road would take traffic away from the town centre.
Protesters gather outside the civic centre
Building work is expected to start next spring and the first homes could be ready in 2026.`

func TestExtractBudgets(t *testing.T) {
	for _, style := range []Style{Brief, Standard, Detailed} {
		t.Run(style.String(), func(t *testing.T) {
			got := Extract("Ashford homes approved", story, style)
			b := style.Budget()
			if len(got) == 0 || len(got) > b.MaxSentences {
				t.Fatalf("got %d sentences, want 1 to %d: %q", len(got), b.MaxSentences, got)
			}
			if n := newstext.Words(strings.Join(got, " ")); n > b.MaxWords {
				t.Errorf("got %d words, want at most %d: %q", n, b.MaxWords, got)
			}
			if !strings.HasPrefix(got[0], "A council has approved plans") {
				t.Errorf("got first sentence %q, want the lead", got[0])
			}
			assertInArticleOrder(t, story, got)
			for _, s := range got {
				if s == "Protesters gather outside the civic centre" {
					t.Errorf("got the caption %q in the summary", s)
				}
			}
		})
	}
}

// assertInArticleOrder checks that every sentence of summary is a sentence of
// body and that they come in the body's order.
func assertInArticleOrder(t *testing.T, body string, summary []string) {
	t.Helper()
	sents := newstext.Split(body)
	last := -1
	for _, s := range summary {
		i := slices.Index(sents, s)
		if i < 0 {
			t.Errorf("got sentence %q, want a whole sentence of the article", s)
			continue
		}
		if i <= last {
			t.Errorf("got sentence %q at article position %d after position %d, want article order", s, i, last)
		}
		last = i
	}
}

func TestExtractEdgeCases(t *testing.T) {
	long := strings.Repeat("word ", 70) + "end."
	tests := []struct {
		name  string
		body  string
		style Style
		want  []string
	}{
		{"empty", "", Standard, nil},
		{"blank", " \n \n", Standard, nil},
		{"punctuation only", "… — !", Standard, nil},
		{"one sentence", "Only one sentence here.", Detailed, []string{"Only one sentence here."}},
		{"first sentence too long is cut", long, Brief, []string{strings.TrimSpace(strings.Repeat("word ", 45)) + "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract("", tt.body, tt.style)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Extract(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestExtractDeterministicAndConcurrent(t *testing.T) {
	want := Extract("", story, Standard)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 16 {
		wg.Go(func() {
			for range 50 {
				if got := Extract("", story, Standard); !slices.Equal(got, want) {
					errs <- strings.Join(got, " | ")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("got %q, want the same summary every time: %q", got, want)
	}
}

// readArticleFile reads the plain-text export format well enough for a test:
// the title, then the paragraphs between the date lines and the trailers.
func readArticleFile(t *testing.T, path string) (title, body string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	var paras []string
	for i, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case i == 0:
			title = l
			continue
		case l == "" || strings.HasPrefix(l, "Published:") || strings.HasPrefix(l, "Updated:"):
			continue
		case strings.HasPrefix(l, "Read more:") || l == "More by this author":
			return title, strings.Join(paras, "\n")
		}
		paras = append(paras, l)
	}
	return title, strings.Join(paras, "\n")
}

func TestExtractTonbridgeBriefSaysWhoForgaveWhom(t *testing.T) {
	path := shared.Path(t, "data", "articles", "20200818-ex-metropolitan-police-officer-from-tonbridge-forgives-man.txt")
	title, body := readArticleFile(t, path)
	for _, tc := range []struct{ name, title string }{{"with title", title}, {"without title", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(Extract(tc.title, body, Brief), " ")
			names := strings.Contains(got, "Seymour") && strings.Contains(got, "Smith")
			forgave := strings.Contains(got, "forgave") && strings.Contains(got, "shot him")
			if !names && !forgave {
				t.Errorf("got brief summary %q, want it to say who forgave whom", got)
			}
			if n := newstext.Words(got); n > Brief.Budget().MaxWords {
				t.Errorf("got %d words, want at most %d", n, Brief.Budget().MaxWords)
			}
		})
	}
}

// devArticle is the part of a line of the dev data set the tests use.
type devArticle struct {
	ID      string `json:"id"`
	Article string `json:"article"`
}

func readDev(tb testing.TB) []devArticle {
	tb.Helper()
	f, err := os.Open(shared.Path(tb, "data", "summ-dev-cnndm-frank250.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []devArticle
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var a devArticle
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			tb.Fatalf("dev data: %v", err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestExtractDevBudgets(t *testing.T) {
	arts := readDev(t)
	for _, style := range []Style{Brief, Standard, Detailed} {
		t.Run(style.String(), func(t *testing.T) {
			b := style.Budget()
			for _, a := range arts {
				got := Extract("", a.Article, style)
				if len(got) == 0 || len(got) > b.MaxSentences {
					t.Errorf("%s: got %d sentences, want 1 to %d", a.ID, len(got), b.MaxSentences)
				}
				if n := newstext.Words(strings.Join(got, " ")); n > b.MaxWords {
					t.Errorf("%s: got %d words, want at most %d", a.ID, n, b.MaxWords)
				}
			}
		})
	}
}

func BenchmarkExtract(b *testing.B) {
	arts := readDev(b)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		a := arts[n%len(arts)]
		Extract("", a.Article, Standard)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}

func TestCloseQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{`He said: "Nobody takes it lightly.`, `He said: "Nobody takes it lightly."`},
		{`She said: “We will go.`, `She said: “We will go.”`},
		{`He said: "Yes." Then he left.`, `He said: "Yes." Then he left.`},
		{`It ends a quote begun before."`, `It ends a quote begun before."`},
		{`No quotes at all.`, `No quotes at all.`},
	}
	for _, tt := range tests {
		if got := closeQuote(tt.in); got != tt.want {
			t.Errorf("closeQuote(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
