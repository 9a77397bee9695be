//go:build !linux

package finder

import "context"

// SystemVolumes lists no volumes: only Linux mount tables are read.
func SystemVolumes(ctx context.Context) ([]Volume, error) { return nil, nil }
