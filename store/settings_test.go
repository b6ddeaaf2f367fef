package store

import (
	"testing"
	"time"
)

// Days are UTC days whatever the clock's zone: a time just before or at
// midnight UTC falls on the UTC day, in zones where the local date is
// another, and the next day starts at midnight UTC.
func TestDayAndNextDayAreUTC(t *testing.T) {
	east := time.FixedZone("UTC+5", 5*60*60)  // local date a day ahead near midnight UTC
	west := time.FixedZone("UTC-7", -7*60*60) // local date a day behind
	tests := []struct {
		name    string
		t       time.Time
		day     string
		nextDay time.Time
	}{
		{"23:59:59 UTC east", time.Date(2026, 11, 3, 4, 59, 59, 0, east), "2026-11-02", time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)},
		{"23:59:59 UTC west", time.Date(2026, 11, 2, 16, 59, 59, 0, west), "2026-11-02", time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)},
		{"00:00:00 UTC east", time.Date(2026, 11, 3, 5, 0, 0, 0, east), "2026-11-03", time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)},
		{"00:00:00 UTC west", time.Date(2026, 11, 2, 17, 0, 0, 0, west), "2026-11-03", time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)},
		{"year's end west", time.Date(2026, 12, 31, 17, 0, 0, 0, west), "2027-01-01", time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Day(tt.t); got != tt.day {
				t.Errorf("Day(%v) = %s, want %s", tt.t, got, tt.day)
			}
			got := NextDay(tt.t)
			if !got.Equal(tt.nextDay) || got.Location() != time.UTC {
				t.Errorf("NextDay(%v) = %v, want %v", tt.t, got, tt.nextDay)
			}
		})
	}
}
