package main

import (
	"context"
	"io"
)

func eachS3Object(context.Context, *env, string, string, func(string, io.Reader) error) error {
	return errNoS3
}
