package insight

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
)

// Config configures a Detector: what to analyse (the trail's Insights
// selectors), whom the Insights events are for (account and Region), and the
// detection options. Zero options take the defaults below.
type Config struct {
	// Selectors are the trail's InsightSelectors (selector.Config's
	// InsightSelectors, or Matcher.InsightSelectors). Nil or empty turns
	// Insights off: the detector then counts nothing and emits nothing.
	Selectors []selector.InsightSelector

	// AccountID and Region are written as recipientAccountId and awsRegion
	// of every Insights event. Both are required when Selectors is not
	// empty; AccountID is 12 digits.
	AccountID string
	Region    string

	// Trail names the trail (its name or ARN). It is part of the namespace
	// of the eventID and sharedEventID UUIDs, so two trails of one account
	// and Region never write the same IDs. Optional.
	Trail string

	// Window is the baseline window: the baseline of a minute covers the
	// Window whole UTC days before the minute's day and its day up to the
	// minute. Whole days from 1 to 90; default 7 days (DefaultWindow).
	Window time.Duration

	// MinBaseline is how much history a baseline needs before it is used:
	// no Insights are raised during the detector's first MinBaseline.
	// Whole minutes from 1 minute to Window; default 1 day.
	MinBaseline time.Duration

	// Deviations is the sensitivity: how many standard deviations above the
	// baseline mean a minute's count must be to start an Insight. Lower is
	// more sensitive. Default 6; at least 1.
	Deviations float64

	// MinVolume is the least count in a minute that can start an Insight,
	// so that a rarely called API does not raise one for a handful of
	// calls. Default 10; at least 1.
	MinVolume int

	// MinuteBuckets is how many one-minute buckets stay open for records:
	// at clock time now the minutes from now-MinuteBuckets+1 to now's
	// minute are open, so a record can arrive up to MinuteBuckets-1 whole
	// minutes after its eventTime's minute and still be counted. The
	// detector also accepts records up to MinuteBuckets minutes ahead of
	// the clock. Default 3; 1 to 60.
	MinuteBuckets int

	// MaxSeries bounds memory: the number of analysed series, one per
	// (category, eventSource, eventName) for the call rate and one per
	// (category, eventSource, eventName, errorCode) for the error rate.
	// It also bounds the number of APIs. Records of series or APIs beyond
	// the bound are not analysed and are counted in Stats.Overflow.
	// Default 10000.
	MaxSeries int
}

// Defaults of the Config options.
const (
	DefaultWindow        = 7 * 24 * time.Hour
	DefaultMinBaseline   = 24 * time.Hour
	DefaultDeviations    = 6.0
	DefaultMinVolume     = 10
	DefaultMinuteBuckets = 3
	DefaultMaxSeries     = 10000

	maxWindowDays = 90
	day           = 24 * time.Hour
	minutesPerDay = 1440
)

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("invalid insight config")

func configError(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, args...))
}

// normalize fills the defaults and checks the options.
func (c Config) normalize() (Config, error) {
	if err := (selector.Config{InsightSelectors: c.Selectors}).Validate(selector.Options{}); err != nil {
		return c, fmt.Errorf("%w: Selectors: %w", ErrConfig, err)
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.MinBaseline == 0 {
		c.MinBaseline = min(DefaultMinBaseline, c.Window)
	}
	if c.Deviations == 0 {
		c.Deviations = DefaultDeviations
	}
	if c.MinVolume == 0 {
		c.MinVolume = DefaultMinVolume
	}
	if c.MinuteBuckets == 0 {
		c.MinuteBuckets = DefaultMinuteBuckets
	}
	if c.MaxSeries == 0 {
		c.MaxSeries = DefaultMaxSeries
	}
	switch {
	case c.Window%day != 0 || c.Window < day || c.Window > maxWindowDays*day:
		return c, configError("Window", "%v is not a whole number of days from 1 to %d", c.Window, maxWindowDays)
	case c.MinBaseline%time.Minute != 0 || c.MinBaseline < time.Minute || c.MinBaseline > c.Window:
		return c, configError("MinBaseline", "%v is not a whole number of minutes from 1m to the window (%v)", c.MinBaseline, c.Window)
	case !(c.Deviations >= 1) || math.IsInf(c.Deviations, 0):
		return c, configError("Deviations", "%v is not a finite number of at least 1", c.Deviations)
	case c.MinVolume < 1:
		return c, configError("MinVolume", "%d is less than 1", c.MinVolume)
	case c.MinuteBuckets < 1 || c.MinuteBuckets > 60:
		return c, configError("MinuteBuckets", "%d is not from 1 to 60", c.MinuteBuckets)
	case c.MaxSeries < 1:
		return c, configError("MaxSeries", "%d is less than 1", c.MaxSeries)
	}
	if len(c.Selectors) > 0 {
		if !event.IsAccountID(c.AccountID) {
			return c, configError("AccountID", "%q is not a 12-digit account id", c.AccountID)
		}
		if c.Region == "" {
			return c, configError("Region", "missing")
		}
	}
	return c, nil
}
