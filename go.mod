module github.com/vsnd/vsnd

go 1.26.8

require (
	github.com/hanwen/go-fuse/v2 v2.12.1 // indirect
	github.com/smallnest/ringbuffer v0.2.1 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
