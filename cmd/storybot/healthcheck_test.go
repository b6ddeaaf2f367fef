package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantCode int
		wantErr  string // in the one line on stderr
	}{
		{"--addr", nil, []string{"--addr", addr}, exitOK, ""},
		{"HTTP_ADDR", map[string]string{"HTTP_ADDR": addr}, nil, exitOK, ""},
		{"all interfaces", map[string]string{"HTTP_ADDR": "0.0.0.0:" + port}, nil, exitOK, ""},
		{"no host", map[string]string{"HTTP_ADDR": ":" + port}, nil, exitOK, ""},
		{"--addr wins", map[string]string{"HTTP_ADDR": closed}, []string{"--addr", addr}, exitOK, ""},
		{"503", nil, []string{"--addr", strings.TrimPrefix(sick.URL, "http://")}, exitFailure, "503 Service Unavailable"},
		{"nobody there", nil, []string{"--addr", closed}, exitFailure, "refused"},
		{"hangs", nil, []string{"--addr", strings.TrimPrefix(hang.URL, "http://"), "--timeout", "50ms"}, exitFailure, "no answer within 50ms"},
		{"off", map[string]string{"HTTP_ADDR": "off"}, nil, exitFailure, "HTTP_ADDR"},
		{"bad --addr", nil, []string{"--addr", "localhost"}, exitUsage, "--addr"},
		{"bad HTTP_ADDR", map[string]string{"HTTP_ADDR": "8080"}, nil, exitUsage, "HTTP_ADDR"},
		{"argument", nil, []string{"now"}, exitUsage, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cliEnv(t, tt.vars, append([]string{"healthcheck"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("got exit %d, want %d (stderr %q)", code, tt.wantCode, errs)
			}
			if out != "" {
				t.Errorf("got stdout %q, want none", out)
			}
			if tt.wantErr == "" {
				if errs != "" {
					t.Errorf("got stderr %q, want none", errs)
				}
				return
			}
			if !strings.Contains(errs, tt.wantErr) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("got stderr %q, want one line with %q", errs, tt.wantErr)
			}
		})
	}
}
