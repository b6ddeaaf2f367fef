// Package samples holds a handful of short, made-up local news stories in the
// plain-text export format, so that the demo and a first try of storybot need
// nothing outside the binary. The places and people in them are fictional.
package samples

import "embed"

// FS holds the sample articles, one .txt file each, at its root.
//
//go:embed *.txt
var FS embed.FS
