//go:build !unix

package connlimit

func fileLimit() int { return 0 }
