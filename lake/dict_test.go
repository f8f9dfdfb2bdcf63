package lake

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"
)

// TestDictMatchesParquetGo checks that a dict numbers values, holds them
// and bounds pages as parquet-go's own dictionary does, through resets,
// growth and values that share their hash's slot.
func TestDictMatchesParquetGo(t *testing.T) {
	typ := parquet.String().Type()
	want := typ.NewDictionary(3, 0, typ.NewValues(nil, nil))
	got := dictType{typ}.NewDictionary(3, 0, typ.NewValues(nil, nil))
	rng := rand.New(rand.NewPCG(1, 2))
	for round, distinct := range []int{1, 7, 300, 5000} {
		want.Reset()
		got.Reset()
		values := make([]parquet.Value, 20000)
		for i := range values {
			// Runs of one value, as in an export's columns, and
			// long values that differ only in their middle.
			k := rng.IntN(distinct)
			if i > 0 && rng.IntN(3) == 0 {
				values[i] = values[i-1]
				continue
			}
			values[i] = parquet.ByteArrayValue(fmt.Appendf(nil, "arn:aws:iam::123456789012:%06d:role/x", k))
		}
		wantIx, gotIx := make([]int32, len(values)), make([]int32, len(values))
		for i := 0; i < len(values); i += 64 {
			j := min(i+64, len(values))
			want.Insert(wantIx[i:j], values[i:j])
			got.Insert(gotIx[i:j], values[i:j])
		}
		require.Equal(t, wantIx, gotIx, "round %d", round)
		require.Equal(t, want.Len(), got.Len())
		// Its Size counts its copy of the values besides parquet-go's.
		require.Equal(t, want.Size(), got.(*dict).Dictionary.Size())
		kept := int64(0)
		for i := range want.Len() {
			kept += int64(len(want.Index(int32(i)).ByteArray()))
			require.Equal(t, want.Index(int32(i)).ByteArray(), got.(*dict).value(int32(i)))
		}
		require.GreaterOrEqual(t, got.Size(), want.Size()+kept)
		for _, page := range [][]int32{wantIx, wantIx[:1], wantIx[len(wantIx)/3 : len(wantIx)/2]} {
			wmin, wmax := want.Bounds(page)
			gmin, gmax := got.Bounds(page)
			require.Equal(t, wmin.ByteArray(), gmin.ByteArray())
			require.Equal(t, wmax.ByteArray(), gmax.ByteArray())
		}
	}
}

// TestDictPage checks a dict column's page: its indexes, its dictionary
// and its bounds, which carry the column's index.
func TestDictPage(t *testing.T) {
	typ := parquet.String().Type()
	d := dictType{typ}.NewDictionary(5, 0, typ.NewValues(nil, nil))
	buf := d.Type().NewColumnBuffer(5, 0)
	values := []parquet.Value{parquet.ByteArrayValue([]byte("b")), parquet.ByteArrayValue([]byte("a")), parquet.ByteArrayValue([]byte("b"))}
	n, err := buf.WriteValues(values)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, 3, buf.Len())
	p := buf.Page()
	require.Equal(t, int64(3), p.NumValues())
	data := p.Data()
	require.Equal(t, []int32{0, 1, 0}, data.Int32())
	require.Same(t, d, p.Dictionary())
	lo, hi, ok := p.Bounds()
	require.True(t, ok)
	require.Equal(t, "a", string(lo.ByteArray()))
	require.Equal(t, "b", string(hi.ByteArray()))
	require.Equal(t, 5, lo.Column())
	read := make([]parquet.Value, 3)
	n, err = p.Values().ReadValues(read)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, "b", read[2].String())
	buf.Reset()
	require.Equal(t, 0, buf.Len())
}
