package detect

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxRuleFile bounds the size of one rule file.
const maxRuleFile = 1 << 20

// LoadSigma reads the Sigma rules of a YAML file, or of every .yml and
// .yaml file under a directory (read through os.Root, so nothing outside
// it is opened). Every file is compiled: the error joins one *Error per
// bad rule, and the rules that compiled are returned with it.
func LoadSigma(path string) ([]*Rule, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	if !info.IsDir() {
		data, err := readLimited(os.DirFS(filepath.Dir(path)), filepath.Base(path), path)
		if err != nil {
			return nil, err
		}
		return ParseSigma(path, data)
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	defer root.Close()
	fsys := root.FS()
	var rules []*Rule
	var errs []error
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			return nil
		}
		name := filepath.Join(path, filepath.FromSlash(p))
		data, err := readLimited(fsys, p, name)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		rs, err := ParseSigma(name, data)
		rules = append(rules, rs...)
		if err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("load rules: %w", err))
	}
	if len(rules) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("load rules: no .yml or .yaml file under %s", path))
	}
	return rules, errors.Join(errs...)
}

func readLimited(fsys fs.FS, p, name string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRuleFile+1))
	if err != nil {
		return nil, fmt.Errorf("load rules: %s: %w", name, err)
	}
	if len(data) > maxRuleFile {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d bytes: not a rule file", maxRuleFile)}
	}
	return data, nil
}
