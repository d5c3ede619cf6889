package mmap

// TEMPORARY stub; the mmap implementation replaces this file.

// Area is one stream's memfd: data, status page and control page.
type Area struct{}
