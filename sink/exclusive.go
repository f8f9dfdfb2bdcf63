package sink

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"time"
)

var _ ExclusiveSink = (*Dir)(nil)

// staleClaim is how old a metadata file without its object must be before
// PutIfAbsent takes it for the claim of a process that died between its
// two links, and removes it. A live PutIfAbsent holds such a claim for the
// microseconds between the links (with Fsync, one file sync).
const staleClaim = time.Minute

// PutIfAbsent stores the object if its key holds none, and otherwise
// returns an error wrapping ErrExists. Creation is exclusive across
// processes sharing the directory: the body and metadata are written to
// temporary files, then the metadata file is hard-linked into place, which
// fails if it exists (the claim of the key), then the body is linked, which
// fails if an object was put by other means. Both links are done by the
// file system atomically (link(2) never replaces a file), so at most one
// of any number of concurrent calls succeeds. A process killed between the
// two links leaves a claim without an object; a later PutIfAbsent removes
// such a claim once it is a minute old.
func (d *Dir) PutIfAbsent(ctx context.Context, obj Object) error {
	if err := checkKey(obj.Key); err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	if err := ctx.Err(); err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	path, metaPath := objectPath(obj.Key), metadataPath(obj.Key)
	if _, err := d.r.Lstat(path); err == nil {
		return d.fail("put if absent", obj.Key, ErrExists)
	}
	metaJSON, err := marshalMetadata(obj)
	if err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	dir, metaDir := filepath.Dir(path), filepath.Dir(metaPath)
	if err := d.mkdirs(dir); err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	if err := d.mkdirs(metaDir); err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	tmp, err := d.writeTemp(dir, obj.Body)
	if err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	defer d.r.Remove(tmp)
	metaTmp, err := d.writeTemp(metaDir, metaJSON)
	if err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	defer d.r.Remove(metaTmp)
	if err := d.claim(metaTmp, metaPath, path); err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	if err := d.r.Link(tmp, path); err != nil {
		// An object put by other means (Put) since the check above: it
		// keeps the key, with whichever metadata is in place.
		if errors.Is(err, fs.ErrExist) {
			err = ErrExists
		}
		return d.fail("put if absent", obj.Key, err)
	}
	if d.fsync {
		if err := d.syncDir(metaDir); err != nil {
			return d.fail("put if absent", obj.Key, err)
		}
		if err := d.syncDir(dir); err != nil {
			return d.fail("put if absent", obj.Key, err)
		}
	}
	return nil
}

// claim links the temporary metadata file into place, failing with
// ErrExists if the key's metadata file exists, after removing it once if
// it is a stale claim (no object, older than staleClaim).
func (d *Dir) claim(metaTmp, metaPath, path string) error {
	for try := 0; ; try++ {
		err := d.r.Link(metaTmp, metaPath)
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
		if _, serr := d.r.Lstat(path); serr == nil || try > 0 {
			return ErrExists
		}
		fi, serr := d.r.Lstat(metaPath)
		if serr != nil || time.Since(fi.ModTime()) < staleClaim {
			return ErrExists // an object being put, or just removed
		}
		if err := d.r.Remove(metaPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
}
