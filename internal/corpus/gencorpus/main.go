// Command gencorpus writes a synthetic corpus of news-sized articles for
// benchmarks: JSON Lines to a file, or a folder of plain-text files.
//
//	go run ./internal/corpus/gencorpus -n 100000 -words 600 -out /tmp/corpus.jsonl
//	go run ./internal/corpus/gencorpus -n 100000 -words 600 -dir /tmp/corpus
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/storybot/storybot/internal/corpus"
)

func main() {
	n := flag.Int("n", 100000, "number of articles")
	words := flag.Int("words", 600, "words per article body, about")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "", "write JSON Lines to this file")
	dir := flag.String("dir", "", "write one plain-text file per article into this folder (1,000 per subfolder)")
	flag.Parse()
	if (*out == "") == (*dir == "") {
		log.Fatal("give exactly one of -out FILE or -dir FOLDER")
	}
	g := corpus.New(*seed)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		w := bufio.NewWriter(f)
		enc := json.NewEncoder(w)
		for range *n {
			a := g.Article(*words)
			if err := enc.Encode(map[string]string{"title": a.Title, "body": a.Body, "url": a.URL,
				"author": a.Author, "published": a.Published.Format(time.RFC3339)}); err != nil {
				log.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
		return
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		log.Fatal(err)
	}
	for i := range *n {
		a := g.Article(*words)
		sub := filepath.Join(*dir, fmt.Sprintf("%03d", i/1000))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			log.Fatal(err)
		}
		text := fmt.Sprintf("%s\nPublished: %s\n%s\nMore by this author\n%s\n",
			a.Title, a.Published.In(london).Format("15:04, 2 January 2006"), a.Body, a.Author)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("%06d.txt", i)), []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
