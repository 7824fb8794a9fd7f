package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Size limits for files the configuration reads. A secret file holds one
// value; a limit keeps a mistaken path (a log file, a disk image) from being
// read into memory.
const (
	maxSecretFile = 64 << 10
	maxConfigFile = 8 << 20
)

// checkReadable checks that a file exists, is a regular file and may be
// read, without reading it.
func checkReadable(name string) error {
	f, _, err := openRegular(name)
	if err != nil {
		return err
	}
	return f.Close()
}

// openRegular opens a regular file. Devices and pipes are refused: reading
// /dev/stdin or /dev/zero as a secret would hang or never end.
func openRegular(name string) (*os.File, fs.FileInfo, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, plainFileError(err)
	}
	info, err := f.Stat()
	switch {
	case err != nil:
		err = plainFileError(err)
	case info.IsDir():
		err = errors.New("it is a directory")
	case !info.Mode().IsRegular():
		err = errors.New("it is not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// resolvePath makes a path from the configuration relative to the directory
// of the file that names it, as Prometheus and Alertmanager do, so a config
// and its secrets can move together.
func resolvePath(dir, name string) string {
	if filepath.IsAbs(name) || dir == "" {
		return name
	}
	return filepath.Join(dir, name)
}

// readFile reads a regular file of at most limit bytes.
func readFile(name string, limit int64) ([]byte, error) {
	f, info, err := openRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info.Size() > limit {
		return nil, fmt.Errorf("it is larger than %d bytes", limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, plainFileError(err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("it is larger than %d bytes", limit)
	}
	return b, nil
}

// plainFileError drops the path that *fs.PathError repeats: messages name
// the path as the user wrote it, not as it was resolved.
func plainFileError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file")
	case errors.Is(err, fs.ErrPermission):
		return errors.New("permission denied")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
