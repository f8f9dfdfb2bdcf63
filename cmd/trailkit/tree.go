package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/trailkit/trailkit/internal/rootfs"
)

// tree is a directory PATH names, open as an os.Root: it is walked through
// the root, and each file the walk found is opened beneath it, so that a
// link swapped in between the walk and the open cannot lead out of it.
type tree struct {
	path string // as given, for messages
	root *os.Root
	dir  *rootfs.Dir
}

func openTree(path string) (*tree, error) {
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	return &tree{path: path, root: root, dir: rootfs.New(root)}, nil
}

func (t *tree) Close() error {
	t.dir.Close()
	return t.root.Close()
}

// file is the file at rel, a slash-separated path beneath the root.
func (t *tree) file(rel string) inputFile {
	return inputFile{tree: t, rel: rel, name: filepath.Join(t.path, filepath.FromSlash(rel))}
}

// testHookWalked, when set, is called with the files a walk found before
// any is opened: tests change the tree there.
var testHookWalked func([]inputFile)

// inputFile is a file to read: one a walk of a tree found, or one named
// on the command line.
type inputFile struct {
	tree *tree  // where the walk found it; nil: named on the command line
	rel  string // its path beneath the tree's root
	name string // its path as shown
}

// open opens f; a file of a tree beneath the tree's root, refusing a link
// out of it and what is no longer a regular file (a FIFO would block the
// read, a device never end), with an error naming the file.
func (f inputFile) open() (*os.File, error) {
	if f.tree == nil {
		return os.Open(f.name)
	}
	file, err := f.tree.dir.OpenRead(f.rel)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	fi, err := file.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file (%v)", fi.Mode().Type())
	}
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	return file, nil
}

// catFile calls fn with the contents of f.
func catFile(f inputFile, fn func(string, io.Reader) error) error {
	file, err := f.open()
	if err != nil {
		return err
	}
	defer file.Close()
	return fn(f.name, file)
}
