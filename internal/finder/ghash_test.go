package finder

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/ref"
)

// The orders below are what the reference `ostree find-remotes` (GLib
// 2.74) printed for these refs, requested in the given order.
func TestHashOrder(t *testing.T) {
	const cid = "org.example.AppsCollection"
	many := []string{"app1"}
	for i := 1; i <= 40; i++ {
		many = append(many, fmt.Sprintf("r%d", i))
	}
	many = append(many, "app1", "app2")
	tests := []struct {
		name string
		in   []string
		want string
	}{
		{"three", []string{"app1", "app2", "nope"}, "nope app1 app2"},
		{"one", []string{"app1"}, "app1"},
		// 42 distinct refs: the table grows four times.
		{"resizes", many, "r10 r35 r19 r23 r5 r15 app1 r21 app2 r3 r13 r34 r18 r26 r8 r14 r29 r12 r25 r7 r17 r9 r40 r37 r20 r2 r16 r33 r38 r31 r36 r1 r11 r32 r28 r24 r6 r30 r39 r22 r27 r4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var keys []ref.CollectionRef
			for _, n := range tc.in {
				keys = append(keys, ref.CollectionRef{CollectionID: cid, Ref: n})
			}
			var got []string
			for _, k := range hashOrder(keys) {
				got = append(got, k.Ref)
			}
			if diff := cmp.Diff(strings.Fields(tc.want), got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGStrHash(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
	}{
		{"", 5381},
		{"a", 5381*33 + 'a'},
		// Bytes above 0x7f count as negative (signed char).
		{"\xff", 5381*33 - 1},
	}
	for _, tc := range tests {
		if got := gStrHash(tc.in); got != tc.want {
			t.Errorf("gStrHash(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestDynamicRemoteName(t *testing.T) {
	tests := []struct{ uri, keyring, want string }{
		{"file:///tmp/x/dest-mount1/.ostree/repo", "remote1.trustedkeys.gpg",
			"file_3A_2F_2F_2Ftmp_2Fx_2Fdest-mount1_2F.ostree_2Frepo_remote1.trustedkeys.gpg"},
		{"file:///media/a b/ok", "r.trustedkeys.gpg", "file_3A_2F_2F_2Fmedia_2Fa_20b_2Fok_r.trustedkeys.gpg"},
	}
	for _, tc := range tests {
		if got := dynamicRemoteName(tc.uri, tc.keyring); got != tc.want {
			t.Errorf("dynamicRemoteName(%q, %q) = %q, want %q", tc.uri, tc.keyring, got, tc.want)
		}
		if err := ref.ValidateRemote(dynamicRemoteName(tc.uri, tc.keyring)); err != nil {
			t.Errorf("name for %q is not a valid remote name: %v", tc.uri, err)
		}
	}
	if got := escapeURI("aZ09-._~/:%é"); got != "aZ09-._~%2F%3A%25%C3%A9" {
		t.Errorf("escapeURI = %q", got)
	}
}
