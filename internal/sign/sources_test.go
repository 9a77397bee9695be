package sign

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitKeyPathList(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"/a/key.asc", []string{"/a/key.asc"}, false},
		{"/a,/b", []string{"/a", "/b"}, false},
		{"/a;/b;/c", []string{"/a", "/b", "/c"}, false},
		{"/a,", []string{"/a"}, false},
		{",/b", []string{"", "/b"}, false},
		{"/a,/b;/c", nil, true},
	}
	for _, tc := range tests {
		got, err := SplitKeyPathList(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: error %v", tc.in, err)
			continue
		}
		if err != nil && err.Error() != "key value list contains more than one separator" {
			t.Errorf("%q: message %q", tc.in, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestLoadKeys(t *testing.T) {
	repo := t.TempDir()
	global := t.TempDir()
	home := copyGPGHome(t)
	write := func(p string, data []byte) {
		t.Helper()
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(global, "trusted.gpg"), readTestdata(t, "gpghome/key3.asc"))
	write(filepath.Join(global, "trustdb.gpg"), readTestdata(t, "gpghome/key2.asc")) // never a keyring
	write(filepath.Join(global, "notes.txt"), readTestdata(t, "gpghome/key2.asc"))   // not *.gpg
	write(RemoteKeyringPath(repo, "R1"), readTestdata(t, "gpghome/key1.asc"))
	write(RemoteKeyringPath(repo, "R2"), readTestdata(t, "gpghome/key2.asc"))
	keyDir := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(keyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(keyDir, "any-name"), readTestdata(t, "gpghome/key2.asc"))

	tests := []struct {
		name    string
		src     KeySources
		want    []string
		wantErr string
	}{
		{"global", KeySources{Global: true, GlobalDir: global}, []string{keyFpr3}, ""},
		{"missing global dir", KeySources{Global: true, GlobalDir: filepath.Join(global, "nope")}, nil, ""},
		{"remote keyring replaces global", forRemoteWith(repo, "R1", nil, global), []string{keyFpr1}, ""},
		{"remote without keyring uses global", forRemoteWith(repo, "R3", nil, global), []string{keyFpr3}, ""},
		{"gpgkeypath file", forRemoteWith(repo, "R3", []string{"testdata/gpghome/key1.asc"}, global), []string{keyFpr1, keyFpr3}, ""},
		{"gpgkeypath dir", forRemoteWith(repo, "R1", []string{keyDir}, global), []string{keyFpr1, keyFpr2}, ""},
		{"gpgkeypath missing", forRemoteWith(repo, "R1", []string{"/nonexistent/INVALIDKEYPATH.asc"}, global), nil, "opendir(/nonexistent/INVALIDKEYPATH.asc): no such file or directory"},
		{"gpgkeypath empty entry", forRemoteWith(repo, "R1", []string{""}, global), nil, "opendir(): no such file or directory"},
		{"all remotes", KeySources{AllRemotesDir: repo, Global: true, GlobalDir: global}, []string{keyFpr1, keyFpr2, keyFpr3}, ""},
		{"homedir keyrings skip secring", KeySources{KeyringDir: home}, []string{keyFpr1, keyFpr2, keyFpr3}, ""},
		{"extra keyring", KeySources{ExtraKeyring: "testdata/gpghome/key2.asc"}, []string{keyFpr2}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := LoadKeys(t.Context(), tc.src)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := fingerprints(kr)
			if diff := cmp.Diff(sorted(tc.want), sorted(got)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			for _, k := range kr.Keys {
				if k.HasSecret() {
					t.Error("secret keys loaded for verification")
				}
			}
		})
	}
}

// forRemoteWith is ForRemote for a repo without remotes.d or parents.
func forRemoteWith(repo, name string, keyPaths []string, global string) KeySources {
	src := ForRemote(name, repo, "", nil, keyPaths)
	src.GlobalDir = global
	return src
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func TestForRemote(t *testing.T) {
	src := ForRemote("origin", "/repo", "/etc/ostree/remotes.d", []string{"/parent"}, []string{"/k.asc"})
	want := KeySources{
		RemoteKeyrings: []string{"/repo/origin.trustedkeys.gpg", "/etc/ostree/remotes.d/origin.trustedkeys.gpg", "/parent/origin.trustedkeys.gpg"},
		KeyPaths:       []string{"/k.asc"},
		Global:         true,
	}
	if diff := cmp.Diff(want, src); diff != "" {
		t.Error(diff)
	}
}
