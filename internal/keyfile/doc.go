// Package keyfile owns the GLib GKeyFile text format that libostree uses for
// the repository config file, remotes.d/*.conf files and deployment .origin
// files: a reader that accepts what g_key_file_load_from_data accepts, and a
// writer whose output is byte-identical to g_key_file_to_data.
//
// A File from Parse keeps comments, blank lines, and the order of groups and
// keys, as GLib does when loading with G_KEY_FILE_KEEP_COMMENTS, and follows
// the comment handling of GLib 2.77.1 and later: an unmodified file is
// written back unchanged; a new key goes after the last key of its group,
// ahead of comments and blank lines at the group's end; a new group follows
// a blank line.
//
// libostree itself loads these files without KEEP_COMMENTS. A File from New,
// or from Parse followed by StripComments, writes exactly what libostree
// 2022.7 with GLib 2.74 (Debian 12) writes: comments are gone, and groups
// are separated by one blank line.
//
// Translated keys such as Name[de] are plain keys, as with
// G_KEY_FILE_KEEP_TRANSLATIONS. testdata/README.md says how the golden
// files that pin this behaviour to GLib were made.
//
// Level L0: imports only the standard library.
package keyfile
