// Package pgtest gives each test a PostgreSQL schema of its own, in the
// server that STORYBOT_TEST_POSTGRES names, so tests against PostgreSQL
// never see each other's data. Without the variable such tests skip, saying
// how to run them, except under CI=true, where they fail: CI must never
// skip them silently. .ci/postgres.sh starts a throwaway server and sets it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the variable holding the test server's URL, for example
// postgres://postgres@127.0.0.1:55432/storybot_test?sslmode=disable.
const EnvVar = "STORYBOT_TEST_POSTGRES"

// Require returns the test server's URL. When there is none it skips the
// test, or fails it under CI=true.
func Require(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("%s is not set, and CI=true: CI must run the PostgreSQL tests (.ci/run starts a server with .ci/postgres.sh)", EnvVar)
		}
		t.Skipf("PostgreSQL test skipped: %s is not set. Run `. .ci/postgres.sh` first, or set it to a server's URL (see README, Development)", EnvVar)
	}
	return base
}

// URL returns the URL of a new, empty schema (through search_path), which
// is dropped with everything in it when the test ends. Close what uses it
// before then: register that cleanup after calling URL.
func URL(t testing.TB) string {
	t.Helper()
	base := Require(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL", EnvVar) // the error would show the password
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "storybot_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Conn returns a connection to url (from URL), closed when the test ends,
// for a test that reaches past the store's API.
func Conn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
