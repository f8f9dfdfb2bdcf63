package sink_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/sink"
)

// Tests run as root on the project's machines, and permission bits do not
// stop root. These helpers make a directory read-only or small in a way
// that does: a read-only bind mount or a size-limited tmpfs (root with
// CAP_SYS_ADMIN), the immutable attribute, or for unprivileged users plain
// permission bits.

// makeReadOnly makes dir and everything under it unwritable until the test
// ends and returns how.
func makeReadOnly(t *testing.T, dir string) string {
	t.Helper()
	var tried []string
	if os.Geteuid() != 0 {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				err = os.Chmod(p, 0o555)
				t.Cleanup(func() { os.Chmod(p, 0o755) })
			}
			return err
		})
		require.NoError(t, err)
		return requireReadOnly(t, dir, "permission bits 0555")
	}
	// A read-only bind mount of the directory onto itself.
	err := syscall.Mount(dir, dir, "", syscall.MS_BIND|syscall.MS_REC, "")
	if err == nil {
		t.Cleanup(func() { unmount(t, dir) })
		err = syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, "")
		if err == nil {
			return requireReadOnly(t, dir, "read-only bind mount")
		}
	}
	tried = append(tried, fmt.Sprintf("read-only bind mount: %v", err))
	// The immutable attribute on every directory (ext4, xfs, btrfs).
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = setImmutable(p, true)
			t.Cleanup(func() { setImmutable(p, false) })
		}
		return err
	})
	if err == nil {
		return requireReadOnly(t, dir, "immutable attribute")
	}
	tried = append(tried, fmt.Sprintf("immutable attribute: %v", err))
	t.Fatalf("cannot make %s read-only for root: %s", dir, strings.Join(tried, "; "))
	return ""
}

func requireReadOnly(t *testing.T, dir, how string) string {
	t.Helper()
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(probe, nil, 0o644); err == nil {
		os.Remove(probe)
		t.Fatalf("%s did not make %s read-only", how, dir)
	}
	return how
}

func unmount(t *testing.T, dir string) {
	if err := syscall.Unmount(dir, 0); err != nil {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	}
}

const (
	fsIocGetFlags = 0x80086601 // FS_IOC_GETFLAGS
	fsIocSetFlags = 0x40086602 // FS_IOC_SETFLAGS
	fsImmutableFl = 0x00000010 // FS_IMMUTABLE_FL
)

func setImmutable(path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var flags int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), fsIocGetFlags, uintptr(unsafe.Pointer(&flags))); e != 0 {
		return e
	}
	if on {
		flags |= fsImmutableFl
	} else {
		flags &^= fsImmutableFl
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), fsIocSetFlags, uintptr(unsafe.Pointer(&flags))); e != 0 {
		return e
	}
	return nil
}

func TestDirReadOnly(t *testing.T) {
	ctx := context.Background()
	for _, fsync := range []bool{false, true} {
		t.Run(fmt.Sprintf("fsync=%v", fsync), func(t *testing.T) {
			d := newDir(t, sink.DirOptions{Fsync: fsync})
			const old = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/old.json.gz"
			require.NoError(t, d.Put(ctx, sink.Object{Key: old, Body: []byte("old"), Metadata: map[string]string{"m": "1"}}))
			how := makeReadOnly(t, d.Root())
			t.Logf("read-only by %s", how)
			// A Dir holds its root open: one opened before a bind mount
			// would write beneath it. Open it again, as a new process would.
			d, err := sink.NewDir(d.Root(), sink.DirOptions{Fsync: fsync})
			require.NoError(t, err)

			for _, key := range []string{
				"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/new.json.gz", // existing directory
				"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/03/new.json.gz", // new directory
				old, // overwrite
			} {
				err := d.Put(ctx, sink.Object{Key: key, Body: []byte("new"), Metadata: map[string]string{"m": "2"}})
				require.Error(t, err, key)
				assert.True(t, errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission), "%v", err)
				assert.Contains(t, err.Error(), fmt.Sprintf("put %q", key))
			}
			assert.Equal(t, []string{old}, listKeys(t, d, "", ""), "no new object")
			body, info, err := sink.ReadAll(ctx, d, old, 1<<30)
			require.NoError(t, err, "still readable")
			assert.Equal(t, "old", string(body))
			assert.Equal(t, "1", info.Metadata["m"])
			assert.Empty(t, tempFiles(t, d.Root()))
		})
	}
}

func TestDirDiskFull(t *testing.T) {
	if fsizeRoot != "" {
		// The child process of the file-size-limit case.
		checkDiskFull(t, fsizeRoot, syscall.EFBIG)
		fmt.Println(fsizeChildDone)
		return
	}
	t.Run("tmpfs", func(t *testing.T) {
		root := t.TempDir()
		err := syscall.Mount("tmpfs", root, "tmpfs", 0, "size=256k,mode=0755")
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("mounting a tmpfs is not permitted (%v); the file-size-limit case covers a full disk", err)
		}
		require.NoError(t, err)
		t.Cleanup(func() { unmount(t, root) })
		checkDiskFull(t, root, syscall.ENOSPC)
	})
	// RLIMIT_FSIZE with SIGXFSZ ignored makes a write past the limit fail
	// with EFBIG, as a full disk fails with ENOSPC. Limits are per process,
	// so this runs in a child test process (see TestMain).
	t.Run("file-size-limit", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDirDiskFull$", "-test.count=1")
		cmd.Env = append(os.Environ(), fsizeChildEnv+"="+t.TempDir())
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "child:\n%s", out)
		assert.Contains(t, string(out), fsizeChildDone, "child:\n%s", out)
	})
}

const (
	fsizeChildEnv  = "TRAILKIT_SINK_TEST_FSIZE_ROOT"
	fsizeChildDone = "file-size-limit checks passed"
)

func TestMain(m *testing.M) {
	if root := os.Getenv(fsizeChildEnv); root != "" {
		os.Exit(fsizeChild(m, root))
	}
	os.Exit(m.Run())
}

// fsizeChild limits the process's file size, then runs the disk-full
// checks through the testing package (tests selected by -test.run).
func fsizeChild(m *testing.M, root string) int {
	signal.Ignore(syscall.SIGXFSZ)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 256 << 10, Max: 256 << 10}); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		return 1
	}
	fsizeRoot = root
	return m.Run()
}

// fsizeRoot is set in the child process of the file-size-limit case.
var fsizeRoot string

// checkDiskFull fills root's space with a big Put and checks that the error
// is the file system's, that nothing partial is left, and that the sink
// works again once there is room.
func checkDiskFull(t *testing.T, root string, want syscall.Errno) {
	t.Helper()
	ctx := context.Background()
	d, err := sink.NewDir(filepath.Join(root, "bucket"), sink.DirOptions{Fsync: true})
	require.NoError(t, err)
	require.NoError(t, d.Put(ctx, sink.Object{Key: "a/small.json", Body: []byte("small"), Metadata: map[string]string{"m": "1"}}))

	big := make([]byte, 1<<20)
	const key = "a/big.json.gz"
	err = d.Put(ctx, sink.Object{Key: key, Body: big, Metadata: map[string]string{"m": "2"}})
	require.ErrorIs(t, err, want)
	assert.Contains(t, err.Error(), fmt.Sprintf("put %q", key))
	_, _, err = sink.ReadAll(ctx, d, key, 1<<30)
	require.ErrorIs(t, err, sink.ErrNotFound, "no partial object")
	assert.NoFileExists(t, filepath.Join(d.Root(), sink.MetadataDir, "a", "big.json.gz.meta"))
	assert.Empty(t, tempFiles(t, d.Root()), "temporary file removed")
	assert.Equal(t, []string{"a/small.json"}, listKeys(t, d, "", ""))

	// The failed Put freed what it wrote: a Put that fits succeeds.
	require.NoError(t, d.Put(ctx, sink.Object{Key: "a/after.json", Body: make([]byte, 64<<10)}))
	assert.Equal(t, []string{"a/after.json", "a/small.json"}, listKeys(t, d, "", ""))
}
