// Package prompts holds the prompts storybot sends to a language model, as
// text/template files embedded in the binary (summary_system.tmpl,
// summary_user.tmpl) that an operator may override from a folder (PROMPTS_DIR).
//
// Rendering a prompt also returns a hash of the template sources used, so a
// cache of model output can be keyed on it: editing a prompt invalidates the
// summaries written with the old one.
//
// The article is placed between <article> and </article>; any such tag inside
// the article's own text is neutralised first, and the system prompt tells the
// model that the delimited text is data, not instructions.
//
// A Set is immutable after Load and safe for concurrent use.
package prompts

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

// The template file names, in the embedded set and in an override folder.
const (
	SummarySystemFile = "summary_system.tmpl"
	SummaryUserFile   = "summary_user.tmpl"
	AnswerSystemFile  = "answer_system.tmpl"
	AnswerUserFile    = "answer_user.tmpl"
)

// files lists every template a Set holds, in a fixed order.
var files = []string{SummarySystemFile, SummaryUserFile, AnswerSystemFile, AnswerUserFile}

//go:embed *.tmpl
var embedded embed.FS

// Set is a loaded set of prompt templates.
type Set struct {
	tmpl        map[string]*template.Template
	source      map[string]string // the file each template came from ("embedded:NAME" or a path)
	summaryHash string
	answerHash  string
}

// Prompt is a rendered chat prompt.
type Prompt struct {
	System string // the system message
	User   string // the user message, holding the delimited article
	// Hash identifies the template sources that produced System and User
	// (hex sha256). Make it part of any cache key for model output.
	Hash string
}

// Load returns the embedded templates, with each one that dir holds under the
// same file name (summary_system.tmpl, summary_user.tmpl) taking its place.
// An empty dir means the embedded set only. A missing file in dir falls back
// to the embedded one; an unknown *.tmpl file in dir, a template that fails to
// parse, or one that fails to render sample data is an error naming the file.
func Load(dir string) (*Set, error) {
	s := &Set{tmpl: map[string]*template.Template{}, source: map[string]string{}}
	overrides := map[string]bool{}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("prompts: read folder: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || filepath.Ext(name) != ".tmpl" {
				continue
			}
			if !slices.Contains(files, name) {
				return nil, fmt.Errorf("prompts: %s: unknown template name, want one of %s", filepath.Join(dir, name), strings.Join(files, ", "))
			}
			overrides[name] = true
		}
	}
	sums := map[string][]byte{}
	for _, name := range files {
		var (
			src  []byte
			from string
			err  error
		)
		if overrides[name] {
			from = filepath.Join(dir, name)
			src, err = os.ReadFile(from)
		} else {
			from = "embedded:" + name
			src, err = fs.ReadFile(embedded, name)
		}
		if err != nil {
			return nil, fmt.Errorf("prompts: read %s: %w", from, err)
		}
		t, err := template.New(name).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("prompts: parse %s: %w", from, err)
		}
		s.tmpl[name], s.source[name] = t, from
		sum := sha256.Sum256(src)
		sums[name] = sum[:]
	}
	s.summaryHash = hashOf(sums, SummarySystemFile, SummaryUserFile)
	s.answerHash = hashOf(sums, AnswerSystemFile, AnswerUserFile)
	// Render sample data once so a template that names an unknown field
	// fails here, at start-up, and not on a user's first /story.
	if _, err := s.Summary("Sample title", "Sample text.", "standard"); err != nil {
		return nil, err
	}
	if _, err := s.Answer("Sample question?", []Passage{{Source: 1, Title: "Sample title", Published: "2006-01-02", Text: "Sample text."}}); err != nil {
		return nil, err
	}
	return s, nil
}

// hashOf combines the named templates' source hashes into one hex string.
func hashOf(sums map[string][]byte, names ...string) string {
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%x\x00", n, sums[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Sources returns the file each template was loaded from, by template name:
// a path in the override folder, or "embedded:NAME". Handy for a start-up log line.
func (s *Set) Sources() map[string]string {
	out := make(map[string]string, len(s.source))
	for k, v := range s.source {
		out[k] = v
	}
	return out
}

// budget is a style's length as the prompt states it.
type budget struct {
	sentences string
	maxWords  int
}

// budgets mirror the extractive summarizer's styles (summarize.Style.Budget),
// so the model and the fallback are held to the same lengths.
var budgets = map[string]budget{
	"brief":    {"1 or 2 sentences", 45},
	"standard": {"about 3 sentences", 90},
	"detailed": {"5 or 6 sentences", 160},
}

// MaxWords returns the word limit the prompt states for style, and whether the
// style is known ("brief", "standard" or "detailed").
func MaxWords(style string) (int, bool) {
	b, ok := budgets[strings.ToLower(strings.TrimSpace(style))]
	return b.maxWords, ok
}

// summaryData is what the summary templates see.
type summaryData struct {
	Title     string // the story's title, neutralised, may be empty
	Body      string // the article text, neutralised
	Style     string // brief, standard or detailed
	Sentences string // e.g. "about 3 sentences"
	MaxWords  int
}

// Summary renders the prompts asking for a summary of an article in style
// ("brief": 1-2 sentences, at most 45 words; "standard": about 3 sentences,
// at most 90 words; "detailed": 5-6 sentences, at most 160 words; the name is
// case-insensitive). Any <article> or </article> tag inside title or body is
// neutralised so the article cannot close its own delimiter.
func (s *Set) Summary(title, body, style string) (Prompt, error) {
	style = strings.ToLower(strings.TrimSpace(style))
	b, ok := budgets[style]
	if !ok {
		return Prompt{}, fmt.Errorf("prompts: unknown summary style %q: want brief, standard or detailed", style)
	}
	d := summaryData{
		Title:     Neutralize(strings.TrimSpace(title)),
		Body:      Neutralize(strings.TrimSpace(body)),
		Style:     style,
		Sentences: b.sentences,
		MaxWords:  b.maxWords,
	}
	sys, err := s.render(SummarySystemFile, d)
	if err != nil {
		return Prompt{}, err
	}
	user, err := s.render(SummaryUserFile, d)
	if err != nil {
		return Prompt{}, err
	}
	return Prompt{System: sys, User: user, Hash: s.summaryHash}, nil
}

// Passage is one numbered passage of an answer prompt.
type Passage struct {
	Source    int    // the citation number the model is to use
	Title     string // the story's title
	Published string // the story's publication date, as it should be read
	Text      string // the passage's sentences
}

// answerData is what the answer templates see.
type answerData struct {
	Question  string
	Passages  []Passage
	Sentences string
	MaxWords  int
}

// AnswerMaxWords is the answer length the answer prompt asks for.
const AnswerMaxWords = 80

// Answer renders the prompts asking for an answer to question from passages,
// with citations. Delimiter tags inside the question or a passage are
// neutralised (see Neutralize).
func (s *Set) Answer(question string, passages []Passage) (Prompt, error) {
	d := answerData{Question: Neutralize(strings.TrimSpace(question)), Sentences: "3 sentences", MaxWords: AnswerMaxWords}
	for _, p := range passages {
		d.Passages = append(d.Passages, Passage{
			Source:    p.Source,
			Title:     Neutralize(strings.Join(strings.Fields(p.Title), " ")),
			Published: Neutralize(p.Published),
			Text:      Neutralize(strings.TrimSpace(p.Text)),
		})
	}
	sys, err := s.render(AnswerSystemFile, d)
	if err != nil {
		return Prompt{}, err
	}
	user, err := s.render(AnswerUserFile, d)
	if err != nil {
		return Prompt{}, err
	}
	return Prompt{System: sys, User: user, Hash: s.answerHash}, nil
}

func (s *Set) render(name string, data any) (string, error) {
	t := s.tmpl[name]
	if t == nil {
		return "", errors.New("prompts: template " + name + " not loaded")
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("prompts: render %s: %w", s.source[name], err)
	}
	return strings.TrimSpace(buf.String()), nil
}

// delimiterTag matches an opening or closing tag of the prompts' delimiters
// (article, passage, question) in any case and spacing: <article>,
// </PASSAGE >, < question class="x">, and the same written with fullwidth
// brackets (＜passage＞) or as HTML entities (&lt;/passage&gt;, as feeds
// carry them), which a model may read as the tag itself.
var delimiterTag = regexp.MustCompile(`(?i)(?:<|＜|&lt;|&#0*60;|&#x0*3c;)\s*(/?)\s*(article|passage|question)\b[^>＞]*?(?:>|＞|&gt;|&#0*62;|&#x0*3e;)`)

// invisible strips the characters that show nothing but could split a tag
// so that it escapes delimiterTag: zero-width spaces and joiners, the word
// joiner and the byte order mark.
var invisible = strings.NewReplacer("\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "")

// Neutralize rewrites every <article …>, <passage …> or <question …> tag in
// text, opening or closing, as [article], [/passage] and so on, so text
// placed between the prompts' delimiters cannot end its block early or
// open another.
func Neutralize(text string) string {
	if !strings.ContainsAny(text, "<＜&\u200b\u200c\u200d\u2060\ufeff") {
		return text
	}
	return delimiterTag.ReplaceAllStringFunc(invisible.Replace(text), func(tag string) string {
		m := delimiterTag.FindStringSubmatch(tag)
		return "[" + m[1] + strings.ToLower(m[2]) + "]"
	})
}
