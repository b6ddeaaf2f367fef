package feed

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"codeberg.org/readeck/go-readability/v2"
	"codeberg.org/readeck/go-readability/v2/render"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// page is what readability found on an article page.
type page struct {
	text      string // the main text, one paragraph a line
	title     string
	byline    string
	published time.Time // zero when the page does not say
}

// errNoText is returned for a page with no readable main text.
var errNoText = errors.New("no article text found on the page")

// maxElements bounds the HTML elements readability scores on one page: a
// news page has a few thousand, and scoring is quadratic in the worst case.
const maxElements = 100_000

// readPage extracts the main text of an HTML page (navigation, adverts,
// footers and the like left out) with go-readability, decoding the charset
// that contentType or the page itself names.
func readPage(body []byte, contentType string, pageURL *url.URL) (page, error) {
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return page{}, fmt.Errorf("decode the page: %w", err)
	}
	doc, err := html.Parse(r)
	if err != nil {
		return page{}, fmt.Errorf("parse the page: %w", err)
	}
	p := readability.NewParser()
	p.MaxElemsToParse = maxElements
	art, err := p.ParseAndMutate(doc, pageURL)
	if err != nil {
		return page{}, fmt.Errorf("find the article text: %w", err)
	}
	if art.Node == nil {
		return page{}, errNoText
	}
	pg := page{text: paragraphs(render.InnerText(art.Node)), title: oneLine(art.Title()), byline: oneLine(art.Byline())}
	if pg.text == "" {
		return page{}, errNoText
	}
	if t, err := art.PublishedTime(); err == nil {
		pg.published = t.UTC()
	}
	return pg, nil
}

// htmlText reduces HTML (a feed entry's content or title) to plain text:
// tags gone, entities decoded, scripts and styles dropped, one paragraph a
// line.
func htmlText(s string) string {
	if !strings.Contains(s, "<") { // plain text, perhaps with entities: keep its lines
		return paragraphs(html.UnescapeString(s))
	}
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return paragraphs(s) // html.Parse fails only when reading fails
	}
	return paragraphs(render.InnerText(doc))
}

// paragraphs collapses white space within each line, drops empty lines and
// invalid UTF-8, and joins what is left with "\n": the article.Article
// body form.
func paragraphs(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if l := strings.Join(strings.Fields(line), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// plain is s as valid UTF-8 (invalid bytes replaced by U+FFFD) without NUL
// characters: text any store takes, from an error that may quote a
// server's bytes.
func plain(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

// oneLine is s with its white space collapsed to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// htmlLine is HTML as plain text on one line (a feed entry's title).
func htmlLine(s string) string { return strings.ReplaceAll(htmlText(s), "\n", " ") }
