module github.com/vsnd/vsnd

go 1.26.8
