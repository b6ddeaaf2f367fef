package bot_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestVerifyMatchesDiscordInteractions compares Verifier's verdicts with
// those of verifyKey from the npm package discord-interactions, Discord's
// own helper, run by Node on the same keys, signatures, timestamps and
// bodies (testdata/verifykey.mjs). Every timestamp is inside the window:
// verifyKey checks only the signature, Verifier also the time.
//
// STORYBOT_NODE_MODULES names a node_modules folder holding the package
// (.ci/run installs it); without it the test skips. With it set, a missing
// node or package fails the test, so CI cannot skip it unnoticed.
func TestVerifyMatchesDiscordInteractions(t *testing.T) {
	dir := os.Getenv("STORYBOT_NODE_MODULES")
	if dir == "" {
		t.Skip("STORYBOT_NODE_MODULES is not set: to run this test, " +
			"npm install --prefix DIR discord-interactions@4.4.0 and set STORYBOT_NODE_MODULES=DIR/node_modules (.ci/run does)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("STORYBOT_NODE_MODULES is set but node is not on PATH: %v", err)
	}
	pkg, err := os.ReadFile(filepath.Join(dir, "discord-interactions", "package.json"))
	if err != nil {
		t.Fatalf("STORYBOT_NODE_MODULES is set but holds no discord-interactions: %v", err)
	}
	var meta struct{ Version string }
	json.Unmarshal(pkg, &meta)
	t.Logf("discord-interactions %s, %s", meta.Version, node)

	type testCase struct {
		name      string
		key       ed25519.PublicKey
		sig, ts   string
		body      []byte
		wantValid bool
	}
	now := strconv.FormatInt(clock.Unix(), 10)
	pub := appKey.Public().(ed25519.PublicKey)
	body := []byte(`{"type":2,"token":"A","data":{"name":"story","options":[{"name":"query","type":3,"value":"storm"}]}}`)
	good := ed25519.Sign(appKey, append([]byte(now), body...))
	cases := []testCase{
		{name: "valid", key: pub, sig: hex.EncodeToString(good), ts: now, body: body, wantValid: true},
		{name: "valid, upper-case hex", key: pub, sig: strings.ToUpper(hex.EncodeToString(good)), ts: now, body: body, wantValid: true},
		{name: "valid, empty body", key: pub, sig: sign(appKey, now, nil), ts: now, body: nil, wantValid: true},
		{name: "valid, UTF-8 body", key: pub, sig: sign(appKey, now, []byte(`{"q":"Café – 東京 🚀"}`)), ts: now, body: []byte(`{"q":"Café – 東京 🚀"}`), wantValid: true},
		{name: "valid, not UTF-8", key: pub, sig: sign(appKey, now, []byte{0xff, 0xfe, 0}), ts: now, body: []byte{0xff, 0xfe, 0}, wantValid: true},
		{name: "tampered body", key: pub, sig: hex.EncodeToString(good), ts: now, body: bytes.Replace(body, []byte("storm"), []byte("storn"), 1)},
		{name: "byte added to the body", key: pub, sig: hex.EncodeToString(good), ts: now, body: append(bytes.Clone(body), ' ')},
		{name: "tampered timestamp", key: pub, sig: hex.EncodeToString(good), ts: strconv.FormatInt(clock.Unix()+1, 10), body: body},
		{name: "wrong key", key: otherKey.Public().(ed25519.PublicKey), sig: hex.EncodeToString(good), ts: now, body: body},
		{name: "signed by another key", key: pub, sig: sign(otherKey, now, body), ts: now, body: body},
		{name: "one bit flipped", key: pub, sig: hex.EncodeToString(flipBit(good, 200)), ts: now, body: body},
		{name: "S+L (malleated)", key: pub, sig: hex.EncodeToString(malleate(good)), ts: now, body: body},
		{name: "truncated signature", key: pub, sig: hex.EncodeToString(good)[:126], ts: now, body: body},
		{name: "zero signature", key: pub, sig: strings.Repeat("00", 64), ts: now, body: body},
	}
	for seed := byte(1); seed <= 8; seed++ { // more keys and bodies
		k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
		ts := strconv.FormatInt(clock.Unix()-int64(seed), 10)
		b := []byte(`{"type":1,"n":` + strconv.Itoa(int(seed)) + `}`)
		cases = append(cases,
			testCase{name: "key " + strconv.Itoa(int(seed)), key: k.Public().(ed25519.PublicKey), sig: sign(k, ts, b), ts: ts, body: b, wantValid: true},
			testCase{name: "key " + strconv.Itoa(int(seed)) + ", tampered", key: k.Public().(ed25519.PublicKey), sig: sign(k, ts, b), ts: ts, body: b[1:]})
	}

	type nodeCase struct {
		Key       string `json:"key"`
		Signature string `json:"signature"`
		Timestamp string `json:"timestamp"`
		Body      string `json:"body"`
	}
	in := make([]nodeCase, len(cases))
	for i, c := range cases {
		in[i] = nodeCase{hex.EncodeToString(c.key), c.sig, c.ts, base64.StdEncoding.EncodeToString(c.body)}
	}
	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "verifykey.mjs"))
	cmd.Env = append(os.Environ(), "STORYBOT_NODE_MODULES="+dir)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node testdata/verifykey.mjs: %v\n%s", err, stderr.Bytes())
	}
	var verdicts []bool
	if err := json.Unmarshal(out, &verdicts); err != nil || len(verdicts) != len(cases) {
		t.Fatalf("got %q (%v), want %d verdicts", out, err, len(cases))
	}
	for i, c := range cases {
		v := verifier()
		v.Key = c.key
		ours := v.Verify(c.sig, c.ts, c.body) == nil
		if ours != verdicts[i] || ours != c.wantValid {
			t.Errorf("%s: got ours %v, verifyKey %v; want both %v", c.name, ours, verdicts[i], c.wantValid)
		}
	}
}

// flipBit returns b with bit n flipped.
func flipBit(b []byte, n int) []byte {
	out := bytes.Clone(b)
	out[n/8] ^= 1 << (n % 8)
	return out
}
