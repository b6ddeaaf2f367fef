package main

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// envName is what a setting's name looks like.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*_[A-Z0-9_]+$`)

// TestEnvExampleMatchesCode checks that .env.example lists exactly the
// variables the program reads: every setting name quoted in the command's
// code (the only place that reads the environment) is documented, and every
// documented one is read.
func TestEnvExampleMatchesCode(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var code []string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(s) && !slices.Contains(code, s) {
					code = append(code, s)
				}
			}
			return true
		})
	}

	f, err := os.Open(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var documented []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, _, ok := strings.Cut(sc.Text(), "="); ok && envName.MatchString(name) {
			documented = append(documented, name)
		}
	}
	slices.Sort(code)
	slices.Sort(documented)
	for _, n := range code {
		if !slices.Contains(documented, n) {
			t.Errorf("%s is read by the code but not in .env.example", n)
		}
	}
	for _, n := range documented {
		if !slices.Contains(code, n) {
			t.Errorf("%s is in .env.example but the code never reads it", n)
		}
	}
}

// TestOnlyMainReadsTheEnvironment checks that no package but the command
// (and the test helpers that find test data and the test PostgreSQL server)
// reads environment variables.
func TestOnlyMainReadsTheEnvironment(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if rel == filepath.Join("cmd", "storybot", "main.go") || rel == filepath.Join("internal", "shared", "shared.go") ||
			rel == filepath.Join("internal", "pgtest", "pgtest.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, call := range []string{"os.Getenv(", "os.LookupEnv(", "os.Environ("} {
			if strings.Contains(string(b), call) {
				t.Errorf("%s calls %s: settings are read only in cmd/storybot (main.go) and passed in", rel, strings.TrimSuffix(call, "("))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
