// Package grubenv reads and writes GRUB's environment block (grubenv):
// a fixed-size file GRUB itself rewrites in place with save_env, which is
// why its size never changes and replacing it must not grow it.
//
// Level 1: writes through fsx's atomic replacement.
package grubenv
