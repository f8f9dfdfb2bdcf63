package digest_test

import (
	"crypto/rsa"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
)

// Test keys are generated once per test binary: 1024 bits, the smallest
// crypto/rsa accepts, keeps generation and signing fast.
var (
	testKeysOnce sync.Once
	testKeys     []*rsa.PrivateKey
)

func testKey(tb testing.TB, i int) *rsa.PrivateKey {
	tb.Helper()
	testKeysOnce.Do(func() {
		for range 3 {
			k, err := digest.GenerateKey(1024)
			if err != nil {
				panic(err)
			}
			testKeys = append(testKeys, k)
		}
	})
	require.Less(tb, i, len(testKeys))
	return testKeys[i]
}
