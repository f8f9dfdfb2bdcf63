package lake

import (
	"context"
	"io"

	"github.com/trailkit/trailkit/event"
)

// Export writes every record of r, in any form event.Scanner reads (a log
// file, gzipped or not, JSON Lines, …), then closes w. Records that are
// valid JSON but not shaped like CloudTrail's are written too, what of them
// has no column kept in extraFields (cloudtrail) or unmapped (ocsf). An input
// error stops the export and is returned as the Scanner's *event.ReadError,
// naming the input; objects cut before it may have been put, and exporting
// the input again replaces them.
func (w *Writer) Export(ctx context.Context, r io.Reader) error {
	sc := event.NewScanner(r)
	sc.Name = w.input
	defer sc.Close()
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := new(event.Record)
		if err := event.Unmarshal(sc.Bytes(), rec); err != nil {
			return &event.ReadError{Name: w.input, Index: sc.Index(), Offset: sc.Offset(), Err: err}
		}
		if err := w.Write(ctx, rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return w.Close(ctx)
}
