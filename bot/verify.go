package bot

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// DefaultTimestampWindow is how far from now the timestamp of a signed
// request may be, either way, unless Config.TimestampWindow says otherwise.
// Discord signs a request as it sends it; the window allows for clock skew
// and delivery while keeping a recorded request from being replayed later.
const DefaultTimestampWindow = 5 * time.Minute

// Errors of Verifier.Verify. Both mean the request must be refused (401).
var (
	ErrSignature = errors.New("missing or invalid signature")
	ErrTimestamp = errors.New("missing, malformed or out-of-window timestamp")
)

// Verifier checks the signature Discord puts on every request it sends to
// an interactions endpoint: Ed25519, by the application's key, over the
// X-Signature-Timestamp header followed by the raw body.
type Verifier struct {
	Key ed25519.PublicKey // the application's public key (32 bytes)
	// Window is how far the timestamp may be from Now, either way
	// (DefaultTimestampWindow when zero).
	Window time.Duration
	Now    func() time.Time // nil means time.Now
}

// ParsePublicKey parses an application's public key as the developer
// portal shows it: 64 hexadecimal digits. The error never quotes s, in case
// a secret was pasted in its place.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	if len(s) != 2*ed25519.PublicKeySize {
		return nil, fmt.Errorf("the public key has %d characters, want %d hexadecimal digits", len(s), 2*ed25519.PublicKeySize)
	}
	k, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("the public key is not hexadecimal")
	}
	return ed25519.PublicKey(k), nil
}

// Verify returns nil when sig (hexadecimal, the X-Signature-Ed25519 header)
// is v.Key's signature of timestamp (the X-Signature-Timestamp header, Unix
// seconds) followed by body, and the timestamp is within the window. Else
// it returns an error wrapping ErrSignature or ErrTimestamp. It reads
// nothing but its arguments: check a request with it before parsing it.
func (v *Verifier) Verify(sig, timestamp string, body []byte) error {
	raw, err := v.checkHeaders(sig, timestamp)
	if err != nil {
		return err
	}
	msg := make([]byte, 0, len(timestamp)+len(body))
	msg = append(append(msg, timestamp...), body...)
	if !ed25519.Verify(v.Key, msg, raw[:]) {
		return fmt.Errorf("%w: does not match", ErrSignature)
	}
	return nil
}

// CheckHeaders checks what Verify can check without the body: a signature
// of the right form and a timestamp within the window. The endpoint calls
// it before it reads a byte of the body, so that a request that cannot be
// valid costs nothing.
func (v *Verifier) CheckHeaders(sig, timestamp string) error {
	_, err := v.checkHeaders(sig, timestamp)
	return err
}

func (v *Verifier) checkHeaders(sig, timestamp string) (raw [ed25519.SignatureSize]byte, err error) {
	if len(v.Key) != ed25519.PublicKeySize {
		return raw, fmt.Errorf("%w: no public key configured", ErrSignature)
	}
	if len(sig) != 2*ed25519.SignatureSize {
		return raw, fmt.Errorf("%w: %d characters, want %d", ErrSignature, len(sig), 2*ed25519.SignatureSize)
	}
	if _, err := hex.Decode(raw[:], []byte(sig)); err != nil {
		return raw, fmt.Errorf("%w: not hexadecimal", ErrSignature)
	}
	t, ok := unixSeconds(timestamp)
	if !ok {
		return raw, fmt.Errorf("%w: not Unix seconds", ErrTimestamp)
	}
	window := v.Window
	if window <= 0 {
		window = DefaultTimestampWindow
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if skew := now().Sub(t); skew > window || skew < -window {
		return raw, fmt.Errorf("%w: %v from now, over the %v allowed", ErrTimestamp, skew.Round(time.Second), window)
	}
	return raw, nil
}

// unixSeconds parses s, decimal digits only (no sign, no spaces), as a Unix
// time in seconds.
func unixSeconds(s string) (time.Time, bool) {
	if len(s) == 0 || len(s) > 12 { // 12 digits reach the year 33658
		return time.Time{}, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}
