module github.com/trailkit/trailkit

go 1.24
