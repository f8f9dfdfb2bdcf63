package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/trailkit/trailkit/digest"
)

func init() {
	register("keygen", "generate an RSA key pair for signing digest files", runKeygen)
}

func runKeygen(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "keygen", "--private-key FILE --public-key FILE [--bits N] [--force]\n\n"+
		"Writes a new RSA private key (PEM, PKCS#8) for a trail to sign digest files with, and its public\n"+
		"key as PKCS#1 DER, the form CloudTrail's ListPublicKeys returns, for 'trailkit validate --public-key'.\n"+
		"Prints the key's fingerprint (MD5 of the DER), which digest files record.")
	private := fl.String("private-key", "", "file to write the PEM private key to (mode 0600)")
	public := fl.String("public-key", "", "file to write the DER public key to")
	bits := fl.Int("bits", 2048, "key size in bits (2048 to 8192; CloudTrail uses 2048)")
	force := fl.Bool("force", false, "replace existing files")
	if err := fl.parse(args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return usagef("unexpected argument %q", fl.Arg(0))
	case *private == "":
		return usagef("no --private-key FILE given")
	case *public == "":
		return usagef("no --public-key FILE given")
	case *bits < 2048 || *bits > 8192:
		return usagef("--bits %d: want 2048 to 8192", *bits)
	case filepath.Clean(*private) == filepath.Clean(*public):
		return usagef("--private-key and --public-key name the same file")
	}
	if !*force {
		for _, p := range []string{*private, *public} {
			if _, err := os.Lstat(p); err == nil {
				return exitError{code: 2, err: fmt.Errorf("%s exists (use --force to replace it)", p)}
			}
		}
	}
	key, err := digest.GenerateKey(*bits)
	if err != nil {
		return err
	}
	pemKey, err := digest.MarshalPrivateKeyPEM(key)
	if err != nil {
		return err
	}
	der := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	if err := writeFileAtomic(*private, pemKey, 0o600); err != nil {
		return exitError{code: 2, err: err}
	}
	if err := writeFileAtomic(*public, der, 0o644); err != nil {
		return exitError{code: 2, err: err}
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", digest.Fingerprint(der))
	return err
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so a reader never sees half a key.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	return nil
}
