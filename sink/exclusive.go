package sink

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var _ ExclusiveSink = (*Dir)(nil)

// staleClaim is how old a metadata file without its object, and without
// the temporary body it names, must be before PutIfAbsent takes it for the
// claim of a process that died between its two links, and removes it. No
// PutIfAbsent of this package leaves such a claim: a claim names its body,
// which stays until the body is linked (a killed process leaves both, and
// the next PutIfAbsent completes the put at once), and a put that fails
// between the links removes its claim. It guards claims written otherwise
// (by an older trailkit, or a body removed by hand): a live PutIfAbsent
// holds its claim for the microseconds between the links (with Fsync, one
// file sync), far less than a minute.
const staleClaim = time.Minute

// afterClaim, when set, runs between PutIfAbsent's two links: crash tests
// set TRAILKIT_CRASH_AT=claim (as for the trail's crash points) to kill
// the process there with SIGKILL, leaving a claim without its object.
var afterClaim func()

func init() {
	if os.Getenv("TRAILKIT_CRASH_AT") == "claim" {
		afterClaim = func() {
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				p.Kill()
			}
			select {} // the signal is on its way
		}
	}
}

// PutIfAbsent stores the object if its key holds none, and otherwise
// returns an error wrapping ErrExists. Creation is exclusive across
// processes sharing the directory: the body and metadata are written to
// temporary files, then the metadata file (which names the body's
// temporary file) is hard-linked into place, which fails if it exists (the
// claim of the key), then the body is linked, which fails if an object was
// put by other means. Both links are done by the file system atomically
// (link(2) never replaces a file), so at most one of any number of
// concurrent calls succeeds. A process killed between the two links leaves
// a claim without an object, and the body it names: the next PutIfAbsent
// of the key links that body into place, completing the put the claim won,
// and returns ErrExists. It does so whether the claim's owner is dead or
// about to link the body itself: both link the same file, and the owner
// that finds its own body in place succeeds.
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
	metaJSON, err := marshalMetadata(obj, filepath.Base(tmp))
	if err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	metaTmp, err := d.writeTemp(metaDir, metaJSON)
	if err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	defer d.r.Remove(metaTmp)
	if err := d.claim(metaTmp, metaPath, path); err != nil {
		return d.fail("put if absent", obj.Key, err)
	}
	if afterClaim != nil {
		afterClaim()
	}
	if err := d.r.Link(tmp, path); err != nil {
		switch {
		case errors.Is(err, fs.ErrExist) && d.same(tmp, path):
			// Another PutIfAbsent completed this one's claim.
		case errors.Is(err, fs.ErrExist):
			// An object put by other means (Put) since the check
			// above: it keeps the key, with whichever metadata is in
			// place.
			return d.fail("put if absent", obj.Key, ErrExists)
		default:
			// The claim is this call's: removed, so that the key is
			// free again at once.
			if !d.exists(path) && d.same(metaTmp, metaPath) {
				d.r.Remove(metaPath)
			}
			return d.fail("put if absent", obj.Key, err)
		}
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

// same reports whether two paths name one file.
func (d *Dir) same(a, b string) bool {
	fa, err := d.r.Lstat(a)
	if err != nil {
		return false
	}
	fb, err := d.r.Lstat(b)
	return err == nil && os.SameFile(fa, fb)
}

// claim links the temporary metadata file into place, failing with
// ErrExists if the key's metadata file exists. A claim without its object
// is completed from the body it names (see complete), or removed once if
// it names none and is older than staleClaim.
func (d *Dir) claim(metaTmp, metaPath, path string) error {
	for try := 0; ; try++ {
		err := d.r.Link(metaTmp, metaPath)
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
		if _, serr := d.r.Lstat(path); serr == nil || try > 0 {
			return ErrExists
		}
		if err := d.complete(metaPath, path); err != nil || d.exists(path) {
			return cmp.Or(err, ErrExists)
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

// complete links the body a claim names into place, for a PutIfAbsent
// that was killed between its links (or is about to link it: the same
// file either way). A claim that names no body still there is left as it
// is.
func (d *Dir) complete(metaPath, path string) error {
	data, err := d.r.ReadFile(metaPath)
	if err != nil {
		return nil // removed meanwhile: the caller's next look decides
	}
	var meta fileMetadata
	if json.Unmarshal(data, &meta) != nil || !strings.HasPrefix(meta.Pending, ".tmp-") || strings.ContainsAny(meta.Pending, `/\`) {
		return nil
	}
	body := filepath.Join(filepath.Dir(path), meta.Pending)
	if err := d.r.Link(body, path); err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrNotExist) {
			return nil // linked by its owner, or its owner is done
		}
		return err
	}
	if d.fsync {
		return d.syncDir(filepath.Dir(path))
	}
	return nil
}

// exists reports whether path exists.
func (d *Dir) exists(path string) bool {
	_, err := d.r.Lstat(path)
	return err == nil
}
