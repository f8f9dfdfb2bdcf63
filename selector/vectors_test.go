package selector_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/selector"
)

type vectorFile struct {
	MatchVectors []struct {
		Name       string          `json:"name"`
		Selectors  json.RawMessage `json:"selectors"`
		Event      json.RawMessage `json:"event"`
		Expect     bool            `json:"expect"`
		Why        string          `json:"why"`
		Confidence string          `json:"confidence"`
	} `json:"matchVectors"`
	InvalidVectors []struct {
		Name                 string          `json:"name"`
		Operation            string          `json:"operation"`
		Selectors            json.RawMessage `json:"selectors"`
		Exception            string          `json:"exception"`
		Message              *string         `json:"message"`
		ClientSideValidation string          `json:"clientSideValidation"`
		Why                  string          `json:"why"`
	} `json:"invalidVectors"`
}

func loadVectors(t *testing.T) vectorFile {
	t.Helper()
	var f vectorFile
	require.NoError(t, json.Unmarshal(testdata.SelectorVectors(t), &f))
	require.NotEmpty(t, f.MatchVectors)
	require.NotEmpty(t, f.InvalidVectors)
	return f
}

func TestVectorsMatch(t *testing.T) {
	for _, v := range loadVectors(t).MatchVectors {
		t.Run(v.Name, func(t *testing.T) {
			cfg, err := selector.ParseConfig(v.Selectors)
			require.NoError(t, err)
			m, err := selector.Compile(cfg, selector.Options{})
			require.NoError(t, err, "every match vector is a valid configuration")
			var rec event.Record
			require.NoError(t, event.Unmarshal(v.Event, &rec))

			assert.Equal(t, v.Expect, m.Match(&rec), "%s (%s)", v.Why, v.Confidence)
			ex := m.Explain(&rec)
			assert.Equal(t, v.Expect, ex.Logged, "Explain agrees with Match:\n%s", ex)
			assert.Equal(t, v.Expect, ex.Decided >= 0, "Explain names a deciding selector exactly when the record is logged:\n%s", ex)
		})
	}
}

func TestVectorsInvalid(t *testing.T) {
	for _, v := range loadVectors(t).InvalidVectors {
		t.Run(v.Name, func(t *testing.T) {
			err := parseAndCompile(v.Selectors)
			require.Error(t, err, v.Why)
			var se *selector.Error
			require.True(t, errors.As(err, &se), "want *selector.Error, got %T: %v", err, err)

			wantException := v.Exception
			wantMessage := v.Message
			if strings.HasPrefix(v.Exception, "ParamValidationError") {
				// The SDK refuses these before sending; trailkit, acting as
				// the service, refuses them with the service's exception and
				// the SDK's wording.
				wantException = selector.ExceptionInvalidEventSelectors
				wantMessage = &v.ClientSideValidation
			}
			assert.Equal(t, wantException, se.Exception)
			if wantMessage != nil {
				assert.Equal(t, *wantMessage, se.Message)
			}
			assert.Equal(t, se.Exception+": "+se.Message, err.Error())
		})
	}
}

func parseAndCompile(data []byte) error {
	cfg, err := selector.ParseConfig(data)
	if err != nil {
		return err
	}
	_, err = selector.Compile(cfg, selector.Options{})
	return err
}
