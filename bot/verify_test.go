package bot_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/bot"
)

func verifier() *bot.Verifier {
	return &bot.Verifier{Key: appKey.Public().(ed25519.PublicKey), Now: func() time.Time { return clock }}
}

func TestVerify(t *testing.T) {
	now := strconv.FormatInt(clock.Unix(), 10)
	body := []byte(`{"type":1}`)
	good := sign(appKey, now, body)
	tests := []struct {
		name      string
		sig, ts   string
		body      []byte
		want      error
		windowSet time.Duration
	}{
		{name: "valid", sig: good, ts: now, body: body},
		{name: "valid, upper-case hex", sig: strings.ToUpper(good), ts: now, body: body},
		{name: "valid, empty body", sig: sign(appKey, now, nil), ts: now},
		{name: "no signature", ts: now, body: body, want: bot.ErrSignature},
		{name: "no timestamp", sig: sign(appKey, "", body), body: body, want: bot.ErrTimestamp},
		{name: "odd hex", sig: good[:127] + "g", ts: now, body: body, want: bot.ErrSignature},
		{name: "long signature", sig: good + "00", ts: now, body: body, want: bot.ErrSignature},
		{name: "wrong key", sig: sign(otherKey, now, body), ts: now, body: body, want: bot.ErrSignature},
		{name: "tampered body", sig: good, ts: now, body: []byte(`{"type":2}`), want: bot.ErrSignature},
		{name: "body moved into the timestamp", sig: good, ts: now + "{", body: body[1:], want: bot.ErrTimestamp},
		{name: "signed + sign", sig: sign(appKey, "+"+now, body), ts: "+" + now, body: body, want: bot.ErrTimestamp},
		{name: "spaces", sig: sign(appKey, " "+now, body), ts: " " + now, body: body, want: bot.ErrTimestamp},
		{name: "negative", sig: sign(appKey, "-1", body), ts: "-1", body: body, want: bot.ErrTimestamp},
		{name: "milliseconds", sig: sign(appKey, now+"000", body), ts: now + "000", body: body, want: bot.ErrTimestamp},
		{name: "stale", sig: sign(appKey, "1", body), ts: "1", body: body, want: bot.ErrTimestamp},
		{name: "inside a small window", sig: sign(appKey, strconv.FormatInt(clock.Unix()-9, 10), body), ts: strconv.FormatInt(clock.Unix()-9, 10), body: body, windowSet: 10 * time.Second},
		{name: "outside a small window", sig: sign(appKey, strconv.FormatInt(clock.Unix()+11, 10), body), ts: strconv.FormatInt(clock.Unix()+11, 10), body: body, windowSet: 10 * time.Second, want: bot.ErrTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verifier()
			v.Window = tt.windowSet
			err := v.Verify(tt.sig, tt.ts, tt.body)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if err := (&bot.Verifier{}).Verify(good, now, body); !errors.Is(err, bot.ErrSignature) {
		t.Errorf("no key: got %v, want %v", err, bot.ErrSignature)
	}
}

// TestVerifyMalleated: the same signature with S+L (the group order added
// to its scalar half), which a lax verifier accepts, is refused.
func TestVerifyMalleated(t *testing.T) {
	now := strconv.FormatInt(clock.Unix(), 10)
	body := []byte(`{"type":1}`)
	sig := ed25519.Sign(appKey, append([]byte(now), body...))
	if err := verifier().Verify(hex.EncodeToString(malleate(sig)), now, body); !errors.Is(err, bot.ErrSignature) {
		t.Errorf("got %v, want %v", err, bot.ErrSignature)
	}
}

// malleate returns sig with the group order L added to S, its second half
// (little-endian): the same point equation, a non-canonical encoding.
func malleate(sig []byte) []byte {
	l := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	out := bytes.Clone(sig)
	carry := 0
	for i := range 32 {
		n := int(out[32+i]) + int(l[i]) + carry
		out[32+i], carry = byte(n), n>>8
	}
	return out
}

func TestParsePublicKey(t *testing.T) {
	pub := appKey.Public().(ed25519.PublicKey)
	k, err := bot.ParsePublicKey(hex.EncodeToString(pub))
	if err != nil || !bytes.Equal(k, pub) {
		t.Errorf("got %x, %v; want %x", k, err, pub)
	}
	const secret = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.very-secret-token-value-here-xx"
	for _, s := range []string{"", "abc", strings.Repeat("zz", 32), hex.EncodeToString(pub) + "00", secret} {
		_, err := bot.ParsePublicKey(s)
		if err == nil {
			t.Errorf("%q: got no error, want one", s)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("got %q, want an error that does not quote the value", err)
		}
	}
}

// FuzzVerify: Verify never panics, and passes exactly the requests whose
// signature is appKey's over timestamp+body with a timestamp in the window.
// flip, when not zero, is XORed into a valid signature, so the fuzzer also
// explores signatures one bit away from valid.
func FuzzVerify(f *testing.F) {
	now := strconv.FormatInt(clock.Unix(), 10)
	f.Add(now, []byte(`{"type":1}`), "", []byte{}, true)
	f.Add(now, []byte(`{"type":1}`), "", []byte{1}, true)
	f.Add(now, []byte(`{"type":2,"data":{"name":"story"}}`), strings.Repeat("00", 64), []byte{}, false)
	f.Add("1", []byte{}, "", []byte{}, true)
	f.Add(now+"0", []byte("x"), "", []byte{0, 0, 0, 0x80}, true)
	f.Add("", []byte(nil), "zz", []byte{}, false)
	v := verifier()
	f.Fuzz(func(t *testing.T, ts string, body []byte, sig string, flip []byte, useValid bool) {
		valid := ed25519.Sign(appKey, append([]byte(ts), body...))
		if useValid {
			s := bytes.Clone(valid)
			for i, b := range flip {
				s[i%len(s)] ^= b
			}
			sig = hex.EncodeToString(s)
		}
		err := v.Verify(sig, ts, body)
		if err != nil {
			if !errors.Is(err, bot.ErrSignature) && !errors.Is(err, bot.ErrTimestamp) {
				t.Fatalf("got %v, want ErrSignature or ErrTimestamp", err)
			}
			if raw, herr := hex.DecodeString(sig); herr == nil && bytes.Equal(raw, valid) && inWindow(ts) {
				t.Fatalf("a valid request was refused: %v", err)
			}
			return
		}
		raw, herr := hex.DecodeString(sig)
		if herr != nil || !bytes.Equal(raw, valid) {
			t.Fatalf("signature %q passed, want only %x", sig, valid)
		}
		if !inWindow(ts) {
			t.Fatalf("timestamp %q passed, want it refused", ts)
		}
	})
}

// inWindow reports whether ts is a plain decimal Unix time within the
// default window of clock.
func inWindow(ts string) bool {
	if ts == "" || strings.TrimLeft(ts, "0123456789") != "" || len(ts) > 12 {
		return false
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := time.Unix(n, 0).Sub(clock)
	return d >= -bot.DefaultTimestampWindow && d <= bot.DefaultTimestampWindow
}

// BenchmarkVerify is the cost of checking one request's signature: a
// /story interaction of about 1 KB.
func BenchmarkVerify(b *testing.B) {
	v := verifier()
	now := strconv.FormatInt(clock.Unix(), 10)
	body := bytes.Repeat([]byte("x"), 1024)
	sig := sign(appKey, now, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(sig, now, body); err != nil {
			b.Fatal(err)
		}
	}
}
