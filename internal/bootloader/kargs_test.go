package bootloader

import (
	"slices"
	"testing"
)

func TestKernelArgsQuotes(t *testing.T) {
	for in, want := range map[string][]string{
		``:                  nil,
		`  a b`:             {"a", "b"},
		`a  b`:              {"a", "", "b"},
		`a b `:              {"a", "b"},
		`test="1 2" quiet`:  {`test="1 2"`, "quiet"},
		`x="unterminated y`: {`x="unterminated y`},
		`a="" b="c d"e f`:   {`a=""`, `b="c d"e`, "f"},
	} {
		if got := splitArgs(in); !slices.Equal(got, want) {
			t.Errorf("splitArgs(%q) = %q, want %q", in, got, want)
		}
	}
	k := ParseKernelArgs(`root=/dev/sda test="1 2" quiet`)
	if got := k.Strings(); len(got) != 3 || got[1] != `test="1 2"` {
		t.Fatalf("parsed %q", got)
	}
	if err := k.DeleteIfPresent(`test="1 2"`); err != nil {
		t.Fatal(err)
	}
	if err := k.DeleteIfPresent("absent"); err != nil {
		t.Fatalf("deleting an absent argument: %v", err)
	}
	if err := k.Delete("quiet root=/dev/sda"); err != nil {
		t.Fatal(err)
	}
	if got := k.String(); got != "" {
		t.Fatalf("after deletes: %q", got)
	}
	if err := k.Delete("absent"); err == nil || err.Error() != "No key 'absent' found" {
		t.Fatalf("Delete of an absent key: %v", err)
	}
}
