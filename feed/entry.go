package feed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/storybot/storybot/article"
)

// Page content types readability can read.
const acceptPage = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

// article builds the article of an entry: the main text of its page, or
// the feed's own content when the page cannot be read or gives less text
// (a paywall, a page built by scripts), or is not fetched (fetchPage false:
// the read's Config.PageBudget is spent). fromFeed reports the latter.
func (r *Reader) article(ctx context.Context, e entry, source string, fetchPage bool) (a article.Article, fromFeed bool, err error) {
	it := e.it
	feedText := htmlText(it.Content)
	if summary := htmlText(it.Description); len(summary) > len(feedText) {
		feedText = summary
	}
	var pg page
	var pageErr error
	switch {
	case e.link == "":
		pageErr = errors.New("the entry has no link")
	case !fetchPage:
		pageErr = fmt.Errorf("not fetched: this read's %v for pages was spent", r.cfg.PageBudget)
	default:
		pg, pageErr = r.page(ctx, e.link)
	}
	a = article.Article{
		Title:  htmlLine(it.Title),
		Body:   pg.text,
		URL:    e.link,
		Author: author(it),
		Source: source,
	}
	if len(feedText) > len(a.Body) {
		a.Body, fromFeed = feedText, true
	}
	if a.Title == "" {
		a.Title = pg.title
	}
	if a.Author == "" {
		a.Author = pg.byline
	}
	if !fromFeed {
		a.Body = trimHead(a.Body, a.Title, a.Author)
	}
	a.Published = firstTime(timeOf(it.PublishedParsed), e.updated, pg.published, r.cfg.Now().UTC()).Truncate(time.Second)
	if e.updated.Truncate(time.Second).After(a.Published) {
		a.Updated = e.updated.Truncate(time.Second)
	}
	switch {
	case a.Body == "" && pageErr != nil:
		return a, false, fmt.Errorf("no text: the page could not be read (%v) and the feed has no content", pageErr)
	case a.Body == "":
		return a, false, errors.New("no text in the page or the feed")
	case a.Title == "":
		return a, false, errors.New("the entry has no title")
	}
	fit(&a)
	return a, fromFeed, nil
}

// page fetches an article page and reads its main text.
func (r *Reader) page(ctx context.Context, link string) (page, error) {
	resp, err := r.fetch.get(ctx, link, http.Header{"Accept": {acceptPage}}, r.cfg.MaxPageBytes)
	if err != nil {
		return page{}, err
	}
	ct := resp.header.Get("Content-Type")
	if mt := strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0])); mt != "" && mt != "text/html" && mt != "application/xhtml+xml" {
		return page{}, fmt.Errorf("the page is %s, not HTML", mt)
	}
	return readPage(resp.body, ct, resp.url)
}

// trimHead drops the lines a page repeats above its text: the headline
// and the byline.
func trimHead(body, title, author string) string {
	for {
		first, rest, ok := strings.Cut(body, "\n")
		l := strings.ToLower(first)
		if !ok || l != strings.ToLower(title) && (author == "" || l != "by "+strings.ToLower(author)) {
			return body
		}
		body = rest
	}
}

// maxTitle is the longest title stored, in characters (as for files).
const maxTitle = 500

// fit cuts a title and body that are too long for the store: the title at
// maxTitle characters, the body at a paragraph within article.MaxBytes.
func fit(a *article.Article) {
	if utf8.RuneCountInString(a.Title) > maxTitle {
		a.Title = strings.TrimSpace(string([]rune(a.Title)[:maxTitle-1])) + "…"
	}
	room := article.MaxBytes - len(a.Title)
	if len(a.Body) <= room {
		return
	}
	body := a.Body[:room]
	if i := strings.LastIndexByte(body, '\n'); i > 0 {
		body = body[:i]
	}
	a.Body = strings.ToValidUTF8(body, "")
}

// newest returns the n newest items, oldest first. Items without a date
// keep their place relative to each other.
func newest(items []*gofeed.Item, n int) []*gofeed.Item {
	items = append([]*gofeed.Item(nil), items...)
	sort.SliceStable(items, func(i, j int) bool {
		return itemTime(items[i]).Before(itemTime(items[j]))
	})
	if len(items) > n {
		items = items[len(items)-n:]
	}
	return items
}

func itemTime(it *gofeed.Item) time.Time {
	return firstTime(timeOf(it.PublishedParsed), timeOf(it.UpdatedParsed))
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// link returns the entry's link resolved against the feed's URL, or ""
// when it has none or it is not http(s). A GUID that is a URL stands in
// for a missing link (RSS's isPermaLink).
func link(it *gofeed.Item, base *url.URL) string {
	cands := append([]string{it.Link}, it.Links...)
	if strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://") {
		cands = append(cands, it.GUID)
	}
	for _, c := range cands {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		u, err := base.Parse(c)
		if err != nil || checkScheme(u) != nil {
			continue
		}
		u.Fragment = ""
		return u.String()
	}
	return ""
}

// guid identifies an entry within its feed: its GUID (or Atom id), else
// its link, else its title and date. The date, last and of a fixed
// length, keeps two of the latter apart whatever the title holds; the
// separator is one every store takes as text (PostgreSQL refuses NUL).
func guid(it *gofeed.Item, link string) string {
	if g := strings.TrimSpace(it.GUID); g != "" {
		return g
	}
	if link != "" {
		return link
	}
	return it.Title + " @ " + itemTime(it).Format(time.RFC3339)
}

func author(it *gofeed.Item) string {
	var names []string
	for _, p := range it.Authors {
		if p != nil {
			if n := htmlLine(p.Name); n != "" {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 && it.Author != nil {
		names = append(names, htmlLine(it.Author.Name))
	}
	return strings.Join(names, ", ")
}

// describeEntry names an entry in a failure: its link, else its title.
func describeEntry(e entry) string {
	if e.link != "" {
		return e.link
	}
	if t := htmlLine(e.it.Title); t != "" {
		return fmt.Sprintf("entry %q", t)
	}
	return "entry " + e.guid
}
