package main

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, in := range []string{
		"postgres://u:hunter2@db:5432/s",
		"postgres://db/s?password=hunter2&sslmode=require",
		"postgres://db/s?sslkey=k.pem&sslpassword=hunter2&password=hunter2",
		"postgres://db/s?PASSWORD=hunter2",
	} {
		got := redactURL(in)
		if strings.Contains(got, "hunter2") || !strings.Contains(got, "db") {
			t.Errorf("redactURL(%q) = %q, want the host and no password", in, got)
		}
	}
}
